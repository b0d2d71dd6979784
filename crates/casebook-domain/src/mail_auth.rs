//! Whether the sender of a message is who `From:` says, as the receiving MTA found out: its
//! `Authentication-Results` headers (RFC 8601) with the results of SPF, DKIM and DMARC.
//!
//! Only the headers of one trusted authentication service count, named by its authserv-id (the
//! first word of the header, e.g. `mx.example.com`): anyone can write such a header into the
//! mail they send, naming any service. The receiving MTA adds its headers above those the
//! message came with, so only the topmost group counts: from the first header of the trusted
//! authserv-id down to the first header of another one (or one that cannot be read); a header
//! naming the trusted service further down came with the message. (RFC 8601 section 5 also asks
//! the MTA to remove headers naming it from arriving mail; `docs/mail.md` says how.)
//!
//! The verdict: `dmarc=fail` fails; with [`AuthFailing::Any`], so does `spf=fail` or `dkim=fail`
//! when DMARC did not pass (a message signed several times fails DKIM only when no signature
//! passed). Anything else (pass, none, neutral, softfail, temperror, permerror, or no header of
//! the trusted service at all) does not fail.

use serde::{Deserialize, Serialize};

/// One method's result: `dkim=pass header.d=example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// The method, lower case, without its version: `spf`, `dkim`, `dmarc`, `arc`, …
    pub method: String,
    /// The result, lower case: `pass`, `fail`, `none`, …
    pub result: String,
    /// `reason` and the properties (`header.from`, `smtp.mailfrom`, …) as written.
    pub properties: Vec<(String, String)>,
}

/// One `Authentication-Results` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResults {
    /// The authentication service that wrote it.
    pub authserv_id: String,
    /// Its results, in order (none for `; none`).
    pub results: Vec<MethodResult>,
}

/// Which results of the trusted service send a message to the quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthFailing {
    /// `dmarc=fail`; and `spf=fail` or `dkim=fail` unless DMARC passed.
    #[default]
    Any,
    /// Only `dmarc=fail`.
    Dmarc,
}

/// What the trusted service's headers say about the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderAuth {
    /// The message has no header of the trusted service: nothing is known.
    Unchecked,
    /// No result that counts failed.
    NotFailed,
    /// This result failed.
    Failed(MethodResult),
}

/// A piece of a header value: a word (a token, a quoted string, or anything else between
/// separators) or one of the separators `;` and `=`. Comments are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Word(String),
    Semicolon,
    Equals,
}

/// Splits a header value into pieces; `None` when a comment or quoted string never ends.
fn pieces(value: &str) -> Option<Vec<Piece>> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = value.chars();
    let flush = |word: &mut String, out: &mut Vec<Piece>| {
        if !word.is_empty() {
            out.push(Piece::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                flush(&mut word, &mut out);
                let mut depth = 1;
                while depth > 0 {
                    match chars.next()? {
                        '\\' => {
                            chars.next()?;
                        }
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                }
            }
            '"' => {
                flush(&mut word, &mut out);
                let mut quoted = String::new();
                loop {
                    match chars.next()? {
                        '\\' => quoted.push(chars.next()?),
                        '"' => break,
                        c => quoted.push(c),
                    }
                }
                out.push(Piece::Word(quoted));
            }
            ';' | '=' => {
                flush(&mut word, &mut out);
                out.push(if c == ';' {
                    Piece::Semicolon
                } else {
                    Piece::Equals
                });
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    Some(out)
}

/// A method or result keyword: letters, digits, `-`, `_` (a method may carry `/version`).
fn keyword(word: &str) -> Option<String> {
    let name = word.split('/').next().unwrap_or_default();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then(|| name.to_ascii_lowercase())
}

/// One result (`method[/version] = result` then `name = value` pairs); `None` for anything
/// else, such as the `none` of a header without results.
fn result_of(pieces: &[Piece]) -> Option<MethodResult> {
    let [
        Piece::Word(method),
        Piece::Equals,
        Piece::Word(result),
        rest @ ..,
    ] = pieces
    else {
        return None;
    };
    let mut properties = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        match rest {
            [
                Piece::Word(name),
                Piece::Equals,
                Piece::Word(value),
                tail @ ..,
            ] => {
                properties.push((name.to_ascii_lowercase(), value.clone()));
                rest = tail;
            }
            [_, tail @ ..] => rest = tail,
            [] => break,
        }
    }
    Some(MethodResult {
        method: keyword(method)?,
        result: keyword(result)?,
        properties,
    })
}

/// Parses the value of one `Authentication-Results` header: the authserv-id (with an optional
/// version), then results separated by `;`. Comments in parentheses and folded lines are
/// allowed anywhere. `None` when it names no authentication service (Microsoft 365's headers
/// start with a result instead) or a comment or quoted string never ends.
pub fn parse_authentication_results(value: &str) -> Option<AuthenticationResults> {
    let pieces = pieces(value)?;
    let mut groups = pieces.split(|p| *p == Piece::Semicolon);
    let head = groups.next().unwrap_or_default();
    let authserv_id = match head {
        [Piece::Word(id)] => id.clone(),
        [Piece::Word(id), Piece::Word(version)] if version.chars().all(|c| c.is_ascii_digit()) => {
            id.clone()
        }
        _ => return None,
    };
    Some(AuthenticationResults {
        authserv_id,
        results: groups.filter_map(result_of).collect(),
    })
}

/// The results of the trusted service from a message's headers, given as `(name, value)` from
/// the top down: those of the topmost group of its headers (see the module's description);
/// `None` when it wrote none.
pub fn trusted_results<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    authserv_id: &str,
) -> Option<Vec<MethodResult>> {
    let mut found: Option<Vec<MethodResult>> = None;
    for (name, value) in headers {
        if !name.trim().eq_ignore_ascii_case("authentication-results") {
            continue;
        }
        match parse_authentication_results(value) {
            Some(header) if header.authserv_id.eq_ignore_ascii_case(authserv_id) => {
                found.get_or_insert_with(Vec::new).extend(header.results);
            }
            // Below the trusted group: these came with the message.
            _ if found.is_some() => break,
            // Above it: added after the trusted service, inside the receiving network.
            _ => {}
        }
    }
    found
}

/// What one method's results add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Neither,
}

fn is_fail(result: &MethodResult) -> bool {
    // `hardfail` is SPF's old word for `fail` (RFC 7001's registry).
    matches!(result.result.as_str(), "fail" | "hardfail")
}

/// A method's outcome: for DKIM a passing signature outweighs failing ones (a list's broken
/// signature beside its own); for SPF and DMARC a failure outweighs a pass.
fn outcome<'r>(results: &'r [MethodResult], method: &str) -> (Outcome, Option<&'r MethodResult>) {
    let mut of = results.iter().filter(|r| r.method == method);
    let pass = of.clone().find(|r| r.result == "pass");
    let fail = of.find(|r| is_fail(r));
    match (method, pass, fail) {
        ("dkim", Some(_), _) => (Outcome::Passed, None),
        (_, _, Some(fail)) => (Outcome::Failed, Some(fail)),
        (_, Some(_), None) => (Outcome::Passed, None),
        _ => (Outcome::Neither, None),
    }
}

/// The verdict on a message's sender from its headers (`(name, value)`, top down), trusting
/// the service `authserv_id`.
pub fn sender_auth<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    authserv_id: &str,
    failing: AuthFailing,
) -> SenderAuth {
    let Some(results) = trusted_results(headers, authserv_id) else {
        return SenderAuth::Unchecked;
    };
    let (dmarc, dmarc_failure) = outcome(&results, "dmarc");
    if let Some(failure) = dmarc_failure {
        return SenderAuth::Failed(failure.clone());
    }
    if failing == AuthFailing::Any && dmarc != Outcome::Passed {
        for method in ["spf", "dkim"] {
            if let (_, Some(failure)) = outcome(&results, method) {
                return SenderAuth::Failed(failure.clone());
            }
        }
    }
    SenderAuth::NotFailed
}

impl std::fmt::Display for MethodResult {
    /// `dmarc=fail header.from=example.com`: the result and its properties.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.method, self.result)?;
        for (name, value) in &self.properties {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AR: &str = "Authentication-Results";

    fn result(method: &str, result: &str, properties: &[(&str, &str)]) -> MethodResult {
        MethodResult {
            method: method.into(),
            result: result.into(),
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn a_header_with_comments_and_several_results_is_read() {
        let gmail = "mx.google.com;\r\n       dkim=pass header.i=@bank.test header.s=s1 header.b=Ab/Cd+1=;\r\n       spf=pass (google.com: domain of a@bank.test designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@bank.test;\r\n       dmarc=pass (p=REJECT sp=NONE; dis=NONE) header.from=bank.test";
        let parsed = parse_authentication_results(gmail).unwrap();
        assert_eq!(parsed.authserv_id, "mx.google.com");
        assert_eq!(
            parsed.results,
            [
                result(
                    "dkim",
                    "pass",
                    &[
                        ("header.i", "@bank.test"),
                        ("header.s", "s1"),
                        ("header.b", "Ab/Cd+1")
                    ]
                ),
                result("spf", "pass", &[("smtp.mailfrom", "a@bank.test")]),
                result("dmarc", "pass", &[("header.from", "bank.test")]),
            ]
        );
    }

    #[test]
    fn versions_reasons_quoting_and_spacing_are_read() {
        let odd = "\"mx.example.com\" 1 ; DKIM/1 = Fail (bad (nested) comment) reason=\"signature; did not verify\" header.d = bank.test ; SPF=SoftFail";
        let parsed = parse_authentication_results(odd).unwrap();
        assert_eq!(parsed.authserv_id, "mx.example.com");
        assert_eq!(
            parsed.results,
            [
                result(
                    "dkim",
                    "fail",
                    &[
                        ("reason", "signature; did not verify"),
                        ("header.d", "bank.test")
                    ]
                ),
                result("spf", "softfail", &[]),
            ]
        );
        assert_eq!(
            parsed.results[0].to_string(),
            "dkim=fail reason=signature; did not verify header.d=bank.test"
        );
    }

    #[test]
    fn headers_without_results_or_without_a_service_are_told_apart() {
        let none = parse_authentication_results("mx.example.com 1; none").unwrap();
        assert_eq!(
            (none.authserv_id.as_str(), none.results.len()),
            ("mx.example.com", 0)
        );
        // Microsoft 365 writes no authserv-id: nobody is named, so nobody can be trusted.
        assert_eq!(
            parse_authentication_results(
                "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=bank.test; dkim=none"
            ),
            None
        );
        assert_eq!(
            parse_authentication_results("mx.example.com; spf=fail (unclosed"),
            None
        );
        assert_eq!(
            parse_authentication_results("mx.example.com; dkim=\"pass"),
            None
        );
        assert_eq!(parse_authentication_results(""), None);
        // A result that cannot be read is skipped, the others count.
        let partly = parse_authentication_results("mx.example.com; =pass; dmarc=fail").unwrap();
        assert_eq!(partly.results, [result("dmarc", "fail", &[])]);
    }

    const TRUSTED: &str = "mx.example.com";

    fn verdict(headers: &[(&str, &str)], failing: AuthFailing) -> SenderAuth {
        sender_auth(headers.iter().copied(), TRUSTED, failing)
    }

    fn failed_method(verdict: SenderAuth) -> Option<String> {
        match verdict {
            SenderAuth::Failed(r) => Some(format!("{}={}", r.method, r.result)),
            _ => None,
        }
    }

    #[test]
    fn dmarc_fail_fails_and_dmarc_pass_outweighs_spf_and_dkim() {
        let dmarc_fail = [(
            AR,
            "mx.example.com; spf=pass; dkim=pass; dmarc=fail header.from=bank.test",
        )];
        let verdict_now = verdict(&dmarc_fail, AuthFailing::Dmarc);
        assert_eq!(
            failed_method(verdict_now.clone()).as_deref(),
            Some("dmarc=fail")
        );
        let SenderAuth::Failed(failure) = verdict_now else {
            unreachable!()
        };
        assert_eq!(failure.to_string(), "dmarc=fail header.from=bank.test");
        // A forwarded message: SPF fails, but DKIM and with it DMARC pass.
        let forwarded = [(
            AR,
            "mx.example.com; spf=fail smtp.mailfrom=list.test; dkim=pass; dmarc=pass",
        )];
        assert_eq!(verdict(&forwarded, AuthFailing::Any), SenderAuth::NotFailed);
    }

    #[test]
    fn without_a_dmarc_pass_spf_or_dkim_failing_fails_unless_only_dmarc_counts() {
        let spf = [(
            AR,
            "mx.example.com; spf=fail smtp.mailfrom=bank.test; dkim=none",
        )];
        assert_eq!(
            failed_method(verdict(&spf, AuthFailing::Any)).as_deref(),
            Some("spf=fail")
        );
        assert_eq!(verdict(&spf, AuthFailing::Dmarc), SenderAuth::NotFailed);
        let dkim = [(AR, "mx.example.com; spf=softfail; dkim=fail; dmarc=none")];
        assert_eq!(
            failed_method(verdict(&dkim, AuthFailing::Any)).as_deref(),
            Some("dkim=fail")
        );
        // One good signature beside a broken one passes DKIM.
        let signatures = [(
            AR,
            "mx.example.com; dkim=fail header.d=list.test; dkim=pass header.d=bank.test",
        )];
        assert_eq!(
            verdict(&signatures, AuthFailing::Any),
            SenderAuth::NotFailed
        );
        for harmless in [
            "softfail",
            "neutral",
            "none",
            "temperror",
            "permerror",
            "policy",
        ] {
            let headers = [(
                AR,
                format!("mx.example.com; spf={harmless}; dkim={harmless}; dmarc={harmless}"),
            )];
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            assert_eq!(
                verdict(&headers, AuthFailing::Any),
                SenderAuth::NotFailed,
                "{harmless}"
            );
        }
        let old_word = [(AR, "mx.example.com; spf=hardfail")];
        assert!(failed_method(verdict(&old_word, AuthFailing::Any)).is_some());
    }

    #[test]
    fn only_the_topmost_headers_of_the_trusted_service_count() {
        // The MTA's own headers (one per milter), then what came with the message: another
        // service's header, and a forged pass naming the trusted service.
        let forged_below = [
            ("Received", "from mx.example.com by inside.example.com"),
            (AR, "inside.example.com; none"),
            (AR, "MX.Example.com; dkim=none"),
            ("DMARC-Filter", "OpenDMARC Filter v1.4.2 mx.example.com"),
            (AR, "mx.example.com; spf=fail smtp.mailfrom=bank.test"),
            ("Received", "from attacker.test by mx.example.com"),
            (AR, "attacker.test; dmarc=pass"),
            (AR, "mx.example.com; dmarc=pass header.from=bank.test"),
            ("From", "ceo@bank.test"),
        ];
        assert_eq!(
            failed_method(verdict(&forged_below, AuthFailing::Any)).as_deref(),
            Some("spf=fail")
        );
        // Headers of other services alone, even forged ones naming a look-alike: not checked.
        let others = [
            (AR, "mx.example.com.attacker.test; dmarc=fail"),
            (AR, "example.com; dmarc=fail"),
            (AR, "spf=fail smtp.mailfrom=mx.example.com"),
        ];
        assert_eq!(verdict(&others, AuthFailing::Any), SenderAuth::Unchecked);
        assert_eq!(
            verdict(&[("Subject", "hi")], AuthFailing::Any),
            SenderAuth::Unchecked
        );
        // A DMARC failure anywhere in the trusted group is not outweighed by a pass beside it.
        let mixed = [
            (AR, "mx.example.com; dmarc=pass"),
            (AR, "mx.example.com; dmarc=fail"),
        ];
        assert_eq!(
            failed_method(verdict(&mixed, AuthFailing::Dmarc)).as_deref(),
            Some("dmarc=fail")
        );
    }

    #[test]
    fn the_setting_reads_its_two_words() {
        let any: AuthFailing = serde_json::from_str("\"any\"").unwrap();
        let dmarc: AuthFailing = serde_json::from_str("\"dmarc\"").unwrap();
        assert_eq!((any, dmarc), (AuthFailing::Any, AuthFailing::Dmarc));
        assert!(serde_json::from_str::<AuthFailing>("\"spf\"").is_err());
    }
}
