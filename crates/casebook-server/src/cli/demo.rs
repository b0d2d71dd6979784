//! `casebook demo`: an embedded SQLite database with realistic bilingual demo data (customer
//! organisations with contacts and users, products with versions and their end of support,
//! sites, units and contracts, staff, a call-home fleet of storage arrays, knowledge articles,
//! reply templates and macros, and a hundred and twenty cases of some forty different support problems with their replies, notes and
//! attachments), served on localhost.
//!
//! The data is made through the same actions as real use, with a clock that starts
//! [`HISTORY_DAYS`] before the demo is loaded and follows the history of [`schedule`]: most
//! cases closed over the six months before, the open ones of the last hours and days, so that on whatever day it runs, the queues
//! look like a desk's (mostly within their targets, a few near them, three breached).

use std::path::Path;
use std::sync::Arc;

use casebook_domain::directory::{ContactDraft, OrganizationDraft, ProductDraft};
use casebook_domain::ids::{ContactId, OrganizationId, ProductId};
use casebook_domain::policy::Role;
use casebook_domain::users::User;
use jiff::SignedDuration;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::json;

pub mod call_home;
mod duty;
mod field;
mod installed_base;
mod knowledge;
mod problems;
mod replies;
mod schedule;
mod surveys;

use installed_base::installed_base;
use problems::{demo_case, problems, progress_update};
use schedule::{Step, schedule};

use crate::actions::{
    ActionError, accounts::tokens, accounts::users, directory::contacts, directory::organizations,
    directory::products,
};
use crate::app::{App, AppState};
use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::policy::{AuthVia, Principal};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "casebook-demo";

/// Opens (or creates) the demo database in `data`, loads the demo data once, prints how to use
/// it, and serves until stopped.
pub async fn run(mut config: Config, data: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data)?;
    let data = data.canonicalize()?;
    config.database.url = format!("sqlite://{}", data.join("casebook.db").display());
    config.attachments.dir = data.join("attachments");
    config.search.index_dir = data.join("search-index");
    config.ui.show_demo_accounts = true;
    if config.desk.public_url == crate::config::DeskConfig::default().public_url {
        config.desk.public_url = format!("http://{}", config.listen);
    }
    let app = App::open(config).await?;
    let accounts = crate::app::DemoAccounts {
        password: DEMO_PASSWORD,
        sign_ins: SIGN_INS.to_vec(),
    };
    app.demo_accounts.set(accounts).ok();
    let token_file = data.join("demo-api-token.txt");
    if !token_file.exists() {
        println!("Loading demo data into {} …", data.display());
        let token = load(&app).await.map_err(crate::cli::describe)?;
        std::fs::write(&token_file, format!("{token}\n"))?;
    }
    let token = std::fs::read_to_string(&token_file)?.trim().to_owned();
    let key_file = call_home::key_file(&app, &data).await?;
    let listener = tokio::net::TcpListener::bind(app.config.listen).await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("\nCasebook demo is running at {url}");
    println!("  Sign in:  {url}/sign-in   (console for staff, portal for customers)");
    println!("  API:      {url}/api/v1/cases   (OpenAPI: {url}/api/v1/openapi.json)");
    println!("  Data:     {}", data.display());
    println!("\nDemo sign-ins (password for all: {DEMO_PASSWORD}):");
    for (email, role, zh, en) in SIGN_INS {
        println!("  {email:<34} {role:<15} {zh} / {en}");
    }
    println!("\nAPI token of admin@casebook.demo:\n  {token}");
    println!(
        "Try:\n  curl -H 'Authorization: Bearer {token}' '{url}/api/v1/cases?status=new,assigned'"
    );
    match app.config.smtp.host.as_str() {
        "" => println!("\nMail out: kept in the outbox (set CASEBOOK_SMTP_HOST to send it)."),
        host => println!("\nMail out: SMTP {host}:{}", app.config.smtp.port),
    }
    println!(
        "\nCall home: {} devices SIM-0001… of {} report to this desk; in another shell:\n  casebook call-home simulate --devices {} --rate 4 --duration 120 --target {url} --key-file {}",
        call_home::FLEET_SIZE,
        call_home::FLEET_ORGANIZATION,
        call_home::FLEET_SIZE,
        key_file.display()
    );
    println!("\nPress Ctrl-C to stop.");
    crate::server::run(app, listener).await
}

/// The demo accounts printed at start.
pub const SIGN_INS: [(&str, &str, &str, &str); 8] = [
    (
        "admin@casebook.demo",
        "admin",
        "系统管理员",
        "administrator",
    ),
    (
        "coordinator@casebook.demo",
        "coordinator",
        "客户问题协调员，受理和分派",
        "coordinator: intake and assignment",
    ),
    (
        "li.wei@casebook.demo",
        "engineer",
        "首层工程师",
        "L1 engineer",
    ),
    (
        "wang.fang@casebook.demo",
        "engineer",
        "二线工程师",
        "L2 engineer",
    ),
    (
        "chen.jie@casebook.demo",
        "manager",
        "技术支持经理",
        "support manager",
    ),
    (
        "zhang.min@yuanjing-bank.demo",
        "customer_user",
        "远景银行的客户联系人",
        "a contact of Yuanjing Bank",
    ),
    (
        "it-admin@yuanjing-bank.demo",
        "customer_admin",
        "远景银行的客户管理员",
        "Yuanjing Bank's customer administrator",
    ),
    (
        "j.miller@acme-suzhou.demo",
        "customer_user",
        "艾克米苏州的客户联系人（英文用户）",
        "a contact of Acme Suzhou (English)",
    ),
];

pub(super) struct Org {
    pub(super) id: OrganizationId,
    pub(super) contacts: Vec<ContactId>,
    pub(super) customer: Option<Principal>,
    pub(super) english: bool,
}

pub(super) struct Staff {
    pub(super) coordinator: Principal,
    pub(super) engineers: Vec<(Principal, casebook_domain::ids::UserId)>,
}

fn draft<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ActionError> {
    serde_json::from_value(value).map_err(|e| ActionError::Internal(format!("demo data: {e}")))
}

fn principal(user: &User) -> Result<Principal, ActionError> {
    Principal::user(
        user,
        AuthVia::Session {
            csrf_token: String::new(),
        },
    )
}

async fn user(
    app: &App,
    who: &Principal,
    email: &str,
    name: &str,
    role: Role,
    org: Option<OrganizationId>,
) -> Result<User, ActionError> {
    users::create(app, who, draft(json!({"email": email, "name": name, "role": role, "organization_id": org, "password": DEMO_PASSWORD}))?).await
}

/// How many days of history the demo has: enough for six months of closed cases, so that every
/// chart of the dashboard and every month of a contract's usage shows something real.
pub(crate) const HISTORY_DAYS: i64 = 190;

/// Loads the demo data; returns an API token of the admin.
pub async fn load(app: &AppState) -> Result<String, ActionError> {
    let clock = Arc::new(ManualClock::new(
        app.clock.now() - SignedDuration::from_hours(24 * HISTORY_DAYS),
    ));
    let loader = App::with_store(app.config.clone(), app.store.clone(), clock.clone());
    let system = Principal::system("demo");

    let admin = user(
        &loader,
        &system,
        "admin@casebook.demo",
        "管理员 Admin",
        Role::Admin,
        None,
    )
    .await?;
    let coordinator = user(
        &loader,
        &system,
        "coordinator@casebook.demo",
        "赵协调 Zhao Xie",
        Role::Coordinator,
        None,
    )
    .await?;
    let l1 = user(
        &loader,
        &system,
        "li.wei@casebook.demo",
        "李伟 Li Wei",
        Role::Engineer,
        None,
    )
    .await?;
    let l2 = user(
        &loader,
        &system,
        "wang.fang@casebook.demo",
        "王芳 Wang Fang",
        Role::Engineer,
        None,
    )
    .await?;
    let l1b = user(
        &loader,
        &system,
        "sun.hao@casebook.demo",
        "孙浩 Sun Hao",
        Role::Engineer,
        None,
    )
    .await?;
    let manager = user(
        &loader,
        &system,
        "chen.jie@casebook.demo",
        "陈杰 Chen Jie",
        Role::Manager,
        None,
    )
    .await?;
    // Two teams: first line in Beijing, second line in Shanghai.
    for (engineer, team) in [
        (&l1, "北京一线 Beijing L1"),
        (&l1b, "北京一线 Beijing L1"),
        (&l2, "上海二线 Shanghai L2"),
    ] {
        users::update(&loader, &system, engineer.id, draft(json!({"team": team}))?).await?;
    }
    let staff = Staff {
        coordinator: principal(&coordinator)?,
        engineers: vec![
            (principal(&l1)?, l1.id),
            (principal(&l1b)?, l1b.id),
            (principal(&l2)?, l2.id),
        ],
    };

    // (name, vendor, [(version, released on, end of support in days from today)]): the oldest
    // versions are out of support, some end within the half year, the newest run for years.
    let catalogue = [
        (
            "DataCore 数据库服务器",
            "华信科技 Huaxin Tech",
            vec![
                ("11.2", "2022-03-15", -200),
                ("12.0", "2023-09-01", 120),
                ("12.1", "2025-04-20", 1100),
            ],
        ),
        (
            "StorArray S5000 存储阵列",
            "华信科技 Huaxin Tech",
            vec![
                ("FW 5.2", "2023-01-10", -30),
                ("FW 5.4", "2024-06-30", 400),
                ("FW 6.0", "2025-11-05", 1400),
            ],
        ),
        (
            "MailHub 邮件协作平台",
            "云桥软件 CloudBridge",
            vec![
                ("9.0.1", "2021-10-15", -400),
                ("10.0", "2023-05-12", 160),
                ("10.1", "2025-02-28", 900),
            ],
        ),
        (
            "SecureGate 安全网关",
            "云桥软件 CloudBridge",
            vec![("3.4", "2024-02-01", 90), ("4.0", "2025-07-15", 1000)],
        ),
    ];
    let today = app.clock.now().to_zoned(app.config.time_zone()).date();
    let days_from_today = |days: i64| {
        today
            .checked_add(jiff::Span::new().days(days))
            .map(|d| d.to_string())
            .map_err(|e| ActionError::Internal(e.to_string()))
    };
    let mut product_ids: Vec<(ProductId, Vec<String>)> = Vec::new();
    for (name, vendor, versions) in catalogue {
        let mut versions_json = Vec::new();
        for (version, released, support_days) in &versions {
            versions_json.push(json!({"version": version, "released_on": released,
                "end_of_marketing_on": days_from_today(support_days - 365)?,
                "end_of_support_on": days_from_today(*support_days)?}));
        }
        let p = products::create(
            &loader,
            &system,
            draft::<ProductDraft>(
                json!({"name": name, "vendor": vendor, "versions": versions_json}),
            )?,
        )
        .await?;
        product_ids.push((
            p.id,
            versions.iter().map(|(v, _, _)| (*v).to_owned()).collect(),
        ));
    }

    let directory = [
        (
            "CN-10001",
            "北京远景银行股份有限公司",
            "北京市朝阳区建国路 88 号",
            false,
            vec![
                ("张敏", "zhang.min@yuanjing-bank.demo", "+86 10 6588 1001"),
                ("刘强", "liu.qiang@yuanjing-bank.demo", "+86 10 6588 1002"),
                (
                    "IT 运维中心",
                    "it-admin@yuanjing-bank.demo",
                    "+86 10 6588 1000",
                ),
            ],
        ),
        (
            "CN-10002",
            "上海申通物流有限公司",
            "上海市青浦区华新镇 1018 号",
            false,
            vec![
                ("周丽", "zhou.li@shentong-log.demo", "+86 21 5976 2201"),
                ("吴军", "wu.jun@shentong-log.demo", "+86 21 5976 2202"),
            ],
        ),
        (
            "CN-10003",
            "广州南方电网信息中心",
            "广州市天河区珠江新城华穗路 6 号",
            false,
            vec![("黄海涛", "huang.haitao@csg-info.demo", "+86 20 3812 3301")],
        ),
        (
            "CN-10004",
            "成都天府第一人民医院",
            "成都市武侯区人民南路四段 12 号",
            false,
            vec![
                ("杨帆", "yang.fan@tianfu-hospital.demo", "+86 28 8542 4401"),
                ("何静", "he.jing@tianfu-hospital.demo", "+86 28 8542 4402"),
            ],
        ),
        (
            "CN-10005",
            "Acme Manufacturing (Suzhou) Co., Ltd.",
            "88 Xinghu Street, Suzhou Industrial Park",
            true,
            vec![
                (
                    "John Miller",
                    "j.miller@acme-suzhou.demo",
                    "+86 512 6288 5501",
                ),
                ("Mei Chen", "m.chen@acme-suzhou.demo", "+86 512 6288 5502"),
            ],
        ),
        (
            "CN-10006",
            "杭州云帆电子商务有限公司",
            "杭州市余杭区文一西路 969 号",
            false,
            vec![("郑凯", "zheng.kai@yunfan-ec.demo", "+86 571 8890 6601")],
        ),
    ];
    let mut orgs = Vec::new();
    let (mut bank, mut bank_admin) = (None, None);
    for (number, name, address, english, people) in directory {
        let org = organizations::create(
            &loader,
            &system,
            draft::<OrganizationDraft>(
                json!({"customer_number": number, "name": name, "address": address}),
            )?,
        )
        .await?;
        let mut contact_ids = Vec::new();
        for (person, email, phone) in &people {
            let c = contacts::create(&loader, &system, draft::<ContactDraft>(json!({"organization_id": org.id, "name": person, "email": email, "phone": phone}))?).await?;
            contact_ids.push(c.id);
        }
        let customer = match number {
            "CN-10001" => Some(principal(
                &user(
                    &loader,
                    &system,
                    "zhang.min@yuanjing-bank.demo",
                    "张敏",
                    Role::CustomerUser,
                    Some(org.id),
                )
                .await?,
            )?),
            "CN-10005" => Some(principal(
                &user(
                    &loader,
                    &system,
                    "j.miller@acme-suzhou.demo",
                    "John Miller",
                    Role::CustomerUser,
                    Some(org.id),
                )
                .await?,
            )?),
            _ => None,
        };
        if number == call_home::FLEET_ORGANIZATION {
            // The fleet is of storage arrays, whose faults (controllers, disks, fans) the
            // simulator plays.
            let (product, versions) = &product_ids[1];
            let version = versions.last().map(String::as_str).unwrap_or_default();
            call_home::fleet(&loader, &system, org.id, (*product, version)).await?;
        }
        if number == "CN-10001" {
            bank = Some(org.id);
            bank_admin = Some(
                user(
                    &loader,
                    &system,
                    "it-admin@yuanjing-bank.demo",
                    "IT 运维中心",
                    Role::CustomerAdmin,
                    Some(org.id),
                )
                .await?,
            );
        }
        installed_base(
            &loader,
            &system,
            number,
            org.id,
            &product_ids,
            coordinator.id,
        )
        .await?;
        orgs.push(Org {
            id: org.id,
            contacts: contact_ids,
            customer,
            english,
        });
    }

    surveys::configure(&loader, &principal(&admin)?).await?;
    let mut rng = StdRng::seed_from_u64(20261122);
    let problems = problems()?;
    // Each problem comes back two or three times, at various customers.
    let mut order: Vec<usize> = (0..problems.len()).collect();
    order.shuffle(&mut rng);
    let mut opened = std::collections::HashMap::new();
    let now = app.clock.now();
    for (ago, step) in schedule(&mut rng) {
        let at = now - SignedDuration::from_mins(ago);
        if clock.now() < at {
            clock.advance(at.duration_since(clock.now()));
        }
        match step {
            Step::Open { n, target, pace } => {
                let org = &orgs[n % orgs.len()];
                let problem = &problems[order[n % order.len()]];
                let number = demo_case(
                    &loader,
                    &clock,
                    &staff,
                    org,
                    &product_ids,
                    (n, problem),
                    (target, pace),
                    &mut rng,
                )
                .await?;
                opened.insert(n, number);
            }
            Step::Update { n } => {
                let (engineer, _) = &staff.engineers[n % staff.engineers.len()];
                let english = orgs[n % orgs.len()].english;
                if let Some(&number) = opened.get(&n) {
                    progress_update(&loader, engineer, number, english).await?;
                }
            }
        }
    }
    let readers: Vec<&Principal> = orgs.iter().filter_map(|o| o.customer.as_ref()).collect();
    knowledge::load(
        &loader,
        &staff.engineers[2].0,
        &principal(&manager)?,
        &readers,
        &product_ids,
    )
    .await?;
    replies::load(&loader, &principal(&manager)?, &staff.engineers[0].0).await?;
    duty::load(
        app,
        &principal(&manager)?,
        &principal(&admin)?,
        &staff.engineers,
        manager.id,
    )
    .await?;
    if let (Some(bank), Some(bank_admin)) = (bank, &bank_admin) {
        let mut open = Vec::new();
        let mut numbers: Vec<_> = opened.values().copied().collect();
        numbers.sort_unstable();
        for number in numbers {
            let case = crate::actions::cases::get(&loader, &system, number).await?;
            if case.organization.id == bank && !case.status.is_terminal() {
                open.push(number);
            }
        }
        field::load(app, &staff.engineers[1].0, &principal(bank_admin)?, &open).await?;
    }
    if clock.now() > app.clock.now() {
        return Err(ActionError::Internal(
            "demo history would end in the future; shorten its steps".into(),
        ));
    }
    let issued = tokens::create(app, &system, admin.id, "demo").await?;
    Ok(issued.secret)
}
