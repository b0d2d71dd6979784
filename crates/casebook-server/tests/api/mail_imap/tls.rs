//! IMAP over TLS and STARTTLS, with the test's own certificate authority.

use super::*;

on_both_backends!(tls_and_starttls);

async fn tls_and_starttls(backend: TestBackend) {
    let dovecot = Dovecot::start();
    let t = TestApp::spawn(backend).await;
    let tls = ImapMailbox {
        port: dovecot.tls_port,
        security: ImapSecurity::Tls,
        ca_file: Some(dovecot.cert.clone()),
        ..dovecot.mailbox("tls")
    };
    let starttls = ImapMailbox {
        security: ImapSecurity::Starttls,
        ca_file: Some(dovecot.cert.clone()),
        ..dovecot.mailbox("starttls")
    };
    for (i, mailbox) in [&tls, &starttls].into_iter().enumerate() {
        let subject = format!("Over {}", mailbox.name);
        let id = format!("<imap-tls-{i}@cn-a.test>");
        dovecot
            .deliver("INBOX", &mail("user@cn-a.test", &subject, &id, "", "加密"))
            .await;
        let polled = imap::poll_once(&t.app, mailbox).await.unwrap();
        assert_eq!((polled.fetched, polled.stored), (1, 1), "{}", mailbox.name);
        assert!(case_titles(&t).await.contains(&subject));
    }

    // Without ca_file the self-signed certificate is not trusted.
    let untrusted = ImapMailbox {
        ca_file: None,
        ..tls
    };
    let err = imap::poll_once(&t.app, &untrusted).await.unwrap_err();
    assert_eq!(err.doing, "connect");
    assert!(err.detail.contains("certificate"), "{err}");

    // Dropped, dovecot stops with its login, auth and mail processes, all in its process group.
    let family = processes::family(dovecot.process.id());
    assert!(family.len() >= 3, "dovecot and its helpers: {family:?}");
    assert!(
        family
            .iter()
            .all(|p| p.pgid == dovecot.process.group().id()),
        "all in dovecot's process group: {family:?}"
    );
    drop(dovecot);
    let left: Vec<_> = processes::running()
        .into_iter()
        .filter(|p| family.contains(p))
        .collect();
    assert!(left.is_empty(), "left running: {left:?}");
}
