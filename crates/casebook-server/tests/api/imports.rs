//! `casebook import`: organisations, contacts, units and contracts from CSV (UTF-8 and GB18030)
//! through the real binary; a dry run writes nothing; a file with broken rows is refused with
//! every row and column named and nothing half-imported.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::{PageRequest, contracts, on_both_backends, organizations, units};

use crate::processes::{Contained, Group};

on_both_backends!(imports_all_or_nothing);

async fn casebook(args: &[&str], url: &str) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_casebook"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CASEBOOK_DATABASE_URL", url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .contained();
    let child = command.spawn().expect("run the casebook binary");
    let _group = Group::of(child.id().expect("the command runs"));
    tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the command finishes")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn import(url: &str, kind: &str, file: &Path, dry_run: bool) -> Output {
    let file = file.to_str().unwrap();
    let mut args = vec!["import", kind, file];
    if dry_run {
        args.push("--dry-run");
    }
    casebook(&args, url).await
}

async fn count_orgs(t: &TestDb) -> usize {
    let mut db = t.store.read().await.unwrap();
    organizations::list(&mut db, &Default::default(), &PageRequest::first())
        .await
        .unwrap()
        .items
        .len()
}

async fn imports_all_or_nothing(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let url = &t.url;
    // The product catalogue exists already (units refer to it by vendor and name).
    let out = casebook(&["migrate"], url).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    {
        let mut db = t.store.write().await.unwrap();
        let p =
            casebook_store::products::insert(&mut db, "S5000", "Huaxin", jiff::Timestamp::now())
                .await
                .unwrap();
        let _ = p;
        db.commit().await.unwrap();
    }

    // Organisations, one broken row among good ones: nothing is imported, every problem named.
    let orgs = dir.path().join("orgs.csv");
    std::fs::write(
        &orgs,
        "customer_number,name,address\nCN-1,北京远景银行,北京市\nCN 2,上海申通,上海市\nCN-3,,广州\nCN-1,重复,\n",
    )
    .unwrap();
    let out = import(url, "organizations", &orgs, false).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("row 3, customer_number"), "{err}");
    assert!(err.contains("row 4, name"), "{err}");
    assert!(
        err.contains("row 5, row") && err.contains("CN-1"),
        "the duplicate in the file: {err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(count_orgs(&t).await, 0, "nothing half-imported");

    // Fixed, in GB18030 as Excel saves it; a dry run first.
    let (gbk, _, _) = encoding_rs::GB18030.encode(
        "customer_number,name,address\nCN-1,北京远景银行,北京市\nCN-2,上海申通物流,上海市\n",
    );
    std::fs::write(&orgs, &gbk).unwrap();
    let out = import(url, "organizations", &orgs, true).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("dry run: 2 row(s)"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(count_orgs(&t).await, 0, "a dry run writes nothing");
    let out = import(url, "organizations", &orgs, false).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported 2 record(s)"));
    let mut db = t.store.read().await.unwrap();
    let bank = organizations::find_by_customer_number(&mut db, "CN-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bank.name, "北京远景银行");
    drop(db);

    // Contacts and units (a site created from its name).
    let people = dir.path().join("contacts.csv");
    std::fs::write(
        &people,
        "customer_number,name,email,phone,can_open_cases\nCN-1,张敏,Zhang.Min@bank.demo,+86 10 6588 1001,是\nCN-1,刘强,liu@bank.demo,,no\n",
    )
    .unwrap();
    let out = import(url, "contacts", &people, false).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let unit_file = dir.path().join("units.csv");
    std::fs::write(
        &unit_file,
        "customer_number,serial_number,vendor,product,site_code,site_name\nCN-1,sn-001,Huaxin,S5000,bj-1,北京机房\nCN-1,SN-002,Huaxin,S5000,BJ-1,\nCN-2,SN-003,Huaxin,Nope,,\n",
    )
    .unwrap();
    let out = import(url, "units", &unit_file, false).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("row 4, product: no product Nope"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(
        &unit_file,
        "customer_number,serial_number,vendor,product,site_code,site_name\nCN-1,sn-001,Huaxin,S5000,bj-1,北京机房\nCN-1,SN-002,Huaxin,S5000,BJ-1,\n",
    )
    .unwrap();
    let out = import(url, "units", &unit_file, false).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Contracts refer to units, contacts and the plan by what people know.
    let contract_file = dir.path().join("contracts.csv");
    std::fs::write(
        &contract_file,
        "contract_number,customer_number,plan,starts_on,ends_on,serial_numbers,contacts,channels,services,incidents\n\
         ht-2026-1,CN-1,standard,2026-01-01,2026-12-31,SN-001;SN-002,zhang.min@bank.demo,phone;web,on_site;remote_diagnosis,12\n\
         HT-2026-2,CN-2,gold,2026-12-31,2026-01-01,SN-001,,fax,,many\n",
    )
    .unwrap();
    let out = import(url, "contracts", &contract_file, true).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("row 3, incidents"), "{err}");
    std::fs::write(
        &contract_file,
        "contract_number,customer_number,plan,starts_on,ends_on,serial_numbers,contacts,channels,services,incidents\n\
         ht-2026-1,CN-1,standard,2026-01-01,2026-12-31,SN-001;SN-002,zhang.min@bank.demo,phone;web,on_site;remote_diagnosis,12\n\
         HT-2026-2,CN-2,gold,2026-12-31,2026-01-01,SN-001,,fax,,\n",
    )
    .unwrap();
    let out = import(url, "contracts", &contract_file, true).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("row 3, serial_numbers"),
        "a unit of another organisation: {err}"
    );
    assert!(err.contains("row 3, channels"), "{err}");
    std::fs::write(
        &contract_file,
        "contract_number,customer_number,plan,starts_on,ends_on,serial_numbers,contacts,channels,services,incidents\n\
         ht-2026-1,CN-1,standard,2026-01-01,2026-12-31,SN-001;SN-002,zhang.min@bank.demo,phone;web,on_site;remote_diagnosis,12\n\
         HT-2026-2,CN-2,gold,2026-12-31,2026-01-01,,,,,\n",
    )
    .unwrap();
    let out = import(url, "contracts", &contract_file, false).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("row 3, ends_on") && err.contains("row 3, plan"),
        "{err}"
    );
    std::fs::write(
        &contract_file,
        "contract_number,customer_number,plan,starts_on,ends_on,serial_numbers,contacts,channels,services,incidents,hours\n\
         ht-2026-1,CN-1,standard,2026-01-01,2026-12-31,SN-001;SN-002,zhang.min@bank.demo,phone;web,on_site;remote_diagnosis,12,40\n",
    )
    .unwrap();
    let out = import(url, "contracts", &contract_file, false).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut db = t.store.read().await.unwrap();
    let c = contracts::find_by_number(&mut db, "HT-2026-1")
        .await
        .unwrap()
        .expect("imported");
    assert_eq!(
        (c.units.len(), c.contacts.len(), c.incidents, c.hours),
        (2, 1, Some(12), Some(40))
    );
    let sn = units::find_by_serial(&mut db, "SN-002").await.unwrap();
    assert_eq!(
        sn[0].site.as_ref().map(|s| s.name.as_str()),
        Some("北京机房")
    );

    // A workbook as an office exports it: numbers and dates are cells of their own types.
    let workbook_path = dir.path().join("contracts.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (col, header) in [
        "contract_number",
        "customer_number",
        "plan",
        "starts_on",
        "ends_on",
        "incidents",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "HT-XLSX-1").unwrap();
    sheet.write_string(1, 1, "CN-2").unwrap();
    sheet.write_string(1, 2, "standard").unwrap();
    let starts = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1).unwrap();
    let ends = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 12, 31).unwrap();
    sheet
        .write_datetime_with_format(1, 3, &starts, &date)
        .unwrap();
    sheet
        .write_datetime_with_format(1, 4, &ends, &date)
        .unwrap();
    sheet.write_number(1, 5, 20.0).unwrap();
    workbook.save(&workbook_path).unwrap();
    let out = import(url, "contracts", &workbook_path, false).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let c = contracts::find_by_number(&mut db, "HT-XLSX-1")
        .await
        .unwrap()
        .expect("imported from the workbook");
    assert_eq!(
        (c.starts_on.to_string(), c.ends_on.to_string(), c.incidents),
        ("2026-01-01".into(), "2026-12-31".into(), Some(20))
    );

    // An unknown column is refused before any row is read.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "customer_number,nmae\nCN-9,x\n").unwrap();
    let out = import(url, "organizations", &bad, false).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unknown column nmae"),
        "{}",
        text(&out.stderr)
    );
}
