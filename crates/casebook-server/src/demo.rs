//! `casebook demo`: an embedded SQLite database with realistic bilingual demo data (customer
//! organisations with contacts and users, products with versions, staff, and about a hundred
//! cases in every status with their replies, notes and attachments), served on localhost.
//!
//! The data is made through the same actions as real use, with a clock that starts 45 days ago,
//! so timelines, audit entries and numbers look like a desk's real history.

use std::path::Path;
use std::sync::Arc;

use casebook_domain::case::{CaseDraft, CasePatch};
use casebook_domain::directory::{ContactDraft, OrganizationDraft, ProductDraft};
use casebook_domain::ids::{ContactId, OrganizationId, ProductId};
use casebook_domain::policy::{Role, Visibility};
use casebook_domain::timeline::CommentDraft;
use casebook_domain::users::User;
use casebook_domain::{CaseNumber, Category, Channel, Severity, Status};
use jiff::SignedDuration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

pub mod call_home;
mod installed_base;
mod knowledge;

use installed_base::installed_base;

use crate::actions::attachments::Upload;
use crate::actions::{
    ActionError, attachments, cases, comments, contacts, organizations, products, tokens, users,
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
    for (email, role, what) in SIGN_INS {
        println!("  {email:<34} {role:<15} {what}");
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
pub const SIGN_INS: [(&str, &str, &str); 8] = [
    ("admin@casebook.demo", "admin", "管理员 Administrator"),
    (
        "coordinator@casebook.demo",
        "coordinator",
        "客户问题协调员 Coordinator",
    ),
    ("li.wei@casebook.demo", "engineer", "首层工程师 L1 engineer"),
    (
        "wang.fang@casebook.demo",
        "engineer",
        "二线工程师 L2 engineer",
    ),
    (
        "chen.jie@casebook.demo",
        "manager",
        "技术支持经理 Support manager",
    ),
    (
        "zhang.min@yuanjing-bank.demo",
        "customer_user",
        "远景银行 customer user",
    ),
    (
        "it-admin@yuanjing-bank.demo",
        "customer_admin",
        "远景银行 customer admin",
    ),
    (
        "j.miller@acme-suzhou.demo",
        "customer_user",
        "Acme Suzhou customer user",
    ),
];

struct Org {
    id: OrganizationId,
    contacts: Vec<ContactId>,
    customer: Option<Principal>,
    english: bool,
}

struct Staff {
    coordinator: Principal,
    engineers: Vec<(Principal, casebook_domain::ids::UserId)>,
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

/// Loads the demo data; returns an API token of the admin.
pub async fn load(app: &AppState) -> Result<String, ActionError> {
    let clock = Arc::new(ManualClock::new(
        app.clock.now() - SignedDuration::from_hours(24 * 45),
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
    let staff = Staff {
        coordinator: principal(&coordinator)?,
        engineers: vec![
            (principal(&l1)?, l1.id),
            (principal(&l1b)?, l1b.id),
            (principal(&l2)?, l2.id),
        ],
    };

    let catalogue = [
        (
            "DataCore 数据库服务器",
            "华信科技 Huaxin Tech",
            vec![
                ("11.2", "2022-03-15"),
                ("12.0", "2023-09-01"),
                ("12.1", "2025-04-20"),
            ],
        ),
        (
            "StorArray S5000 存储阵列",
            "华信科技 Huaxin Tech",
            vec![
                ("FW 5.2", "2023-01-10"),
                ("FW 5.4", "2024-06-30"),
                ("FW 6.0", "2025-11-05"),
            ],
        ),
        (
            "MailHub 邮件协作平台",
            "云桥软件 CloudBridge",
            vec![
                ("9.0.1", "2021-10-15"),
                ("10.0", "2023-05-12"),
                ("10.1", "2025-02-28"),
            ],
        ),
        (
            "SecureGate 安全网关",
            "云桥软件 CloudBridge",
            vec![("3.4", "2024-02-01"), ("4.0", "2025-07-15")],
        ),
    ];
    let mut product_ids: Vec<(ProductId, Vec<String>)> = Vec::new();
    for (name, vendor, versions) in catalogue {
        let versions_json: Vec<_> = versions
            .iter()
            .map(|(v, d)| json!({"version": v, "released_on": d}))
            .collect();
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
            versions.iter().map(|(v, _)| (*v).to_owned()).collect(),
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
            let (product, versions) = &product_ids[0];
            let version = versions.last().map(String::as_str).unwrap_or_default();
            call_home::fleet(&loader, &system, org.id, (*product, version)).await?;
        }
        if number == "CN-10001" {
            user(
                &loader,
                &system,
                "it-admin@yuanjing-bank.demo",
                "IT 运维中心",
                Role::CustomerAdmin,
                Some(org.id),
            )
            .await?;
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

    let mut rng = StdRng::seed_from_u64(20261122);
    for i in 0..100 {
        clock.advance(SignedDuration::from_mins(rng.random_range(30..=240)));
        let org = &orgs[i % orgs.len()];
        let target = TARGETS[i % TARGETS.len()];
        demo_case(
            &loader,
            &clock,
            &staff,
            org,
            &product_ids,
            i,
            target,
            &mut rng,
        )
        .await?;
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
    if clock.now() > app.clock.now() {
        return Err(ActionError::Internal(
            "demo history would end in the future; shorten its steps".into(),
        ));
    }
    let issued = tokens::create(app, &system, admin.id, "demo").await?;
    Ok(issued.secret)
}

const TARGETS: [Status; 20] = [
    Status::New,
    Status::Assigned,
    Status::InProgress,
    Status::AwaitingCustomer,
    Status::SolutionProposed,
    Status::Closed,
    Status::InProgress,
    Status::Closed,
    Status::New,
    Status::Cancelled,
    Status::AwaitingCustomer,
    Status::SolutionProposed,
    Status::Closed,
    Status::InProgress,
    Status::Assigned,
    Status::Closed,
    Status::AwaitingCustomer,
    Status::Cancelled,
    Status::Closed,
    Status::SolutionProposed,
];

/// (product index, category, severity, Chinese title, English title, description)
const PROBLEMS: [(usize, Category, Severity, &str, &str, &str); 12] = [
    (
        0,
        Category::Performance,
        Severity::Two,
        "数据库连接池耗尽，应用间歇性报连接超时",
        "Connection pool exhausted, applications time out intermittently",
        "高峰时段（9:00–11:00）应用服务器报 connection timeout，约每 20 分钟一次。重启应用后恢复，数据库日志中有大量 session wait。",
    ),
    (
        0,
        Category::Defect,
        Severity::One,
        "生产库宕机，实例无法启动",
        "Production database down, instance will not start",
        "凌晨 2:10 实例异常退出，重启时报 redo log 校验失败，所有业务系统受影响。",
    ),
    (
        0,
        Category::Installation,
        Severity::Three,
        "12.1 版本安装在 Kylin V10 上失败",
        "Installing 12.1 on Kylin V10 fails",
        "安装程序在检查依赖时退出，提示缺少 libaio。测试环境，非生产。",
    ),
    (
        1,
        Category::Defect,
        Severity::Two,
        "控制器 B 在固件升级后反复切换",
        "Controller B fails over repeatedly after firmware upgrade",
        "升级到 FW 5.4 后，控制器 B 每天 2–3 次发生切换，主机端多路径报路径丢失。",
    ),
    (
        1,
        Category::Configuration,
        Severity::Three,
        "如何配置异步远程复制的带宽限制",
        "How to limit bandwidth of asynchronous remote replication",
        "两地之间专线 200 Mbps，白天复制占满带宽，希望按时段限速。",
    ),
    (
        1,
        Category::Data,
        Severity::Two,
        "快照卷挂载后文件系统只读",
        "Snapshot volume mounts read-only",
        "从快照创建的卷挂载到备份服务器后，ext4 报错并以只读方式挂载。",
    ),
    (
        2,
        Category::Usage,
        Severity::Four,
        "如何批量导出用户邮箱到 PST",
        "How to export mailboxes to PST in bulk",
        "年底归档，需要将 300 个离职员工的邮箱导出。",
    ),
    (
        2,
        Category::Defect,
        Severity::Three,
        "一个用户无法连接到邮件服务器",
        "One user cannot connect to the mail server",
        "该用户客户端报 “服务器不可用”，其他用户正常。已重装客户端，问题依旧。",
    ),
    (
        2,
        Category::Performance,
        Severity::Two,
        "邮件投递延迟超过 30 分钟",
        "Mail delivery delayed by more than 30 minutes",
        "自周一起外部邮件投递队列堆积，router 任务 CPU 持续 100%。",
    ),
    (
        3,
        Category::Security,
        Severity::One,
        "网关拒绝所有 VPN 连接",
        "Gateway refuses all VPN connections",
        "证书更新后所有远程用户无法建立 VPN，报 TLS handshake failure。",
    ),
    (
        3,
        Category::Configuration,
        Severity::Three,
        "双机热备切换后会话丢失",
        "Sessions lost after HA failover",
        "主备切换测试时，已建立的会话全部断开，希望实现会话同步。",
    ),
    (
        3,
        Category::Other,
        Severity::Four,
        "4.0 版本的维护周期咨询",
        "Maintenance period of version 4.0",
        "请问 4.0 版本的标准支持到哪一年结束？",
    ),
];

#[allow(clippy::too_many_arguments)]
async fn demo_case(
    app: &App,
    clock: &ManualClock,
    staff: &Staff,
    org: &Org,
    products: &[(ProductId, Vec<String>)],
    i: usize,
    target: Status,
    rng: &mut StdRng,
) -> Result<(), ActionError> {
    let (product, category, severity, zh, en, description) = PROBLEMS[i % PROBLEMS.len()];
    let (product_id, versions) = &products[product];
    let title = if org.english { en } else { zh };
    let description = if org.english {
        format!("{en}. Observed in production; logs attached on request.")
    } else {
        description.to_owned()
    };
    let contact = org.contacts[i % org.contacts.len()];
    let by_customer = org.customer.is_some() && !i.is_multiple_of(3);
    let opener = if by_customer {
        org.customer.as_ref().unwrap_or(&staff.coordinator)
    } else {
        &staff.coordinator
    };
    let channel = if by_customer {
        Channel::Web
    } else {
        [Channel::Phone, Channel::Email, Channel::Phone][i % 3]
    };
    let os = [
        "Kylin V10 SP3",
        "CentOS 7.9",
        "Windows Server 2019",
        "UOS 20",
    ][i % 4];
    let mut body = json!({
        "title": title, "description": description, "product_id": product_id, "product_version": versions[i % versions.len()],
        "operating_system": os,
        "environment": "生产环境 / production, 2 nodes", "category": category, "severity": severity, "channel": channel,
    });
    if !by_customer {
        body["organization_id"] = json!(org.id);
        body["contact_id"] = json!(contact);
    }
    let case = cases::open(app, opener, draft::<CaseDraft>(body)?).await?;
    let number = case.number;
    if target == Status::New {
        return Ok(());
    }
    let (engineer, engineer_id) = &staff.engineers[i % staff.engineers.len()];
    let step = |min: i64, max: i64, rng: &mut StdRng| {
        clock.advance(SignedDuration::from_mins(rng.random_range(min..=max)))
    };
    step(5, 45, rng);
    patch(
        app,
        &staff.coordinator,
        number,
        json!({"owner_id": engineer_id, "tier": "l1"}),
    )
    .await?;
    if target == Status::Assigned {
        return Ok(());
    }
    if target == Status::Cancelled && i.is_multiple_of(2) {
        let who = org.customer.as_ref().unwrap_or(&staff.coordinator);
        patch(
            app,
            who,
            number,
            json!({"status": "cancelled", "reason": "问题已自行解决 / resolved by ourselves"}),
        )
        .await?;
        return Ok(());
    }
    step(5, 60, rng);
    patch(app, engineer, number, json!({"status": "in_progress"})).await?;
    let greeting = if org.english {
        "Thank you, we are analysing the problem. Please send the server log of the time it happened."
    } else {
        "您好，已收到您的问题，正在分析。请提供问题发生时段的服务器日志。"
    };
    reply(app, engineer, number, greeting, Visibility::Public).await?;
    reply(
        app,
        engineer,
        number,
        "初步判断与已知缺陷 KB-2031 相似，需确认补丁级别。",
        Visibility::Internal,
    )
    .await?;
    if target == Status::Cancelled {
        patch(
            app,
            &staff.coordinator,
            number,
            json!({"status": "cancelled", "reason": "与另一问题重复 / duplicate"}),
        )
        .await?;
        return Ok(());
    }
    if target == Status::InProgress {
        if i.is_multiple_of(4) {
            patch(
                app,
                &staff.coordinator,
                number,
                json!({"tier": "l2", "reason": "需要二线分析内存转储 / needs L2 dump analysis"}),
            )
            .await?;
        }
        return Ok(());
    }
    step(10, 60, rng);
    patch(
        app,
        engineer,
        number,
        json!({"status": "awaiting_customer", "reason": "等待客户提供日志 / waiting for logs"}),
    )
    .await?;
    if target == Status::AwaitingCustomer {
        return Ok(());
    }
    step(15, 90, rng);
    let customer = org.customer.as_ref();
    let answer = if org.english {
        "Log attached. The problem happened again at 10:42."
    } else {
        "日志见附件，10:42 问题再次出现。"
    };
    let uploads = vec![Upload {
        file_name: "server-2026.log".into(),
        content_type: "text/plain".into(),
        content: bytes::Bytes::from_static(
            b"2026-11-02 10:42:07 ERROR pool: no free connection (active=200, max=200)\n",
        ),
    }];
    match customer {
        Some(c) => {
            comments::add(app, c, number, draft(json!({"body": answer}))?, uploads).await?;
        }
        None => {
            attachments::add(app, engineer, number, Some(Visibility::Public), uploads).await?;
            patch(app, engineer, number, json!({"status": "in_progress", "reason": "客户已电话提供日志 / logs received by phone"})).await?;
        }
    }
    step(10, 60, rng);
    let solution = if org.english {
        "Please apply patch 12.1.0.3 and raise the pool size to 400; this resolves the defect."
    } else {
        "请安装补丁 12.1.0.3，并将连接池上限调整为 400，可解决该缺陷。"
    };
    reply(app, engineer, number, solution, Visibility::Public).await?;
    patch(
        app,
        engineer,
        number,
        json!({"status": "solution_proposed"}),
    )
    .await?;
    if target == Status::SolutionProposed {
        return Ok(());
    }
    step(15, 120, rng);
    match customer {
        Some(c) if i.is_multiple_of(2) => {
            patch(
                app,
                c,
                number,
                json!({"status": "closed", "reason": "确认问题已解决 / confirmed solved"}),
            )
            .await?
        }
        _ => patch(
            app,
            &staff.coordinator,
            number,
            json!({"status": "closed", "reason": "客户电话确认关闭 / customer confirmed by phone"}),
        )
        .await?,
    };
    Ok(())
}

async fn patch(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    body: serde_json::Value,
) -> Result<(), ActionError> {
    cases::update(app, who, number, draft::<CasePatch>(body)?, None)
        .await
        .map(|_| ())
}

async fn reply(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    text: &str,
    visibility: Visibility,
) -> Result<(), ActionError> {
    let comment: CommentDraft = draft(json!({"body": text, "visibility": visibility}))?;
    comments::add(app, who, number, comment, Vec::new())
        .await
        .map(|_| ())
}
