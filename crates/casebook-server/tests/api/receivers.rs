//! Receivers on loopback for the integration tests: a webhook endpoint that records every
//! request and answers the status it is told to, and fakes of the DingTalk, WeCom and Feishu
//! group robots that check the signature exactly as each vendor documents it (DingTalk: the
//! `timestamp` and URL-encoded `sign` in the query, base64 HMAC-SHA256 of "timestamp\nsecret"
//! keyed with the secret, within an hour; Feishu: `timestamp` and `sign` in the body, base64
//! HMAC-SHA256 of nothing keyed with "timestamp\nsecret", within an hour; WeCom: the `key` in
//! the query) and answer as the vendor does, refusals included.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub query: HashMap<String, String>,
    pub body: Vec<u8>,
    /// What the receiver answered.
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or("")
    }
}

#[derive(Clone)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    secret: String,
}

/// A receiver listening on 127.0.0.1.
pub struct Receiver {
    pub base: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Everything received so far.
    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// The status the webhook endpoint answers from now on.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    async fn start(router: axum::Router<Shared>, secret: &str) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let shared = Shared {
            got: got.clone(),
            status: status.clone(),
            secret: secret.to_owned(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = router.with_state(shared);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            base,
            got,
            status,
            task,
        }
    }

    /// A webhook endpoint at `/hook`.
    pub async fn webhook() -> Receiver {
        Self::start(axum::Router::new().route("/hook", post(webhook)), "").await
    }

    /// A DingTalk custom robot at `/robot/send?access_token=…`, signed with `secret`.
    pub async fn dingtalk(secret: &str) -> Receiver {
        Self::start(
            axum::Router::new().route("/robot/send", post(dingtalk)),
            secret,
        )
        .await
    }

    /// A WeCom group robot at `/cgi-bin/webhook/send?key=<key>`.
    pub async fn wecom(key: &str) -> Receiver {
        Self::start(
            axum::Router::new().route("/cgi-bin/webhook/send", post(wecom)),
            key,
        )
        .await
    }

    /// A Feishu custom bot at `/open-apis/bot/v2/hook/<token>`, signed with `secret`.
    pub async fn feishu(secret: &str) -> Receiver {
        Self::start(
            axum::Router::new().route("/open-apis/bot/v2/hook/{token}", post(feishu)),
            secret,
        )
        .await
    }
}

fn keep(
    shared: &Shared,
    headers: &HeaderMap,
    query: HashMap<String, String>,
    body: &Bytes,
    status: u16,
) {
    let headers = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    shared.got.lock().unwrap().push(Received {
        headers,
        query,
        body: body.to_vec(),
        status,
    });
}

async fn webhook(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let status = shared.status.load(Ordering::SeqCst);
    keep(&shared, &headers, query, &body, status);
    StatusCode::from_u16(status).unwrap()
}

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

async fn dingtalk(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::Json<Value> {
    // axum's Query has already URL-decoded `sign`, as DingTalk's server does.
    let timestamp = query.get("timestamp").cloned().unwrap_or_default();
    let sign = query.get("sign").cloned().unwrap_or_default();
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (now_ms() - t).abs() < 3_600_000);
    let expected = hmac_base64(
        shared.secret.as_bytes(),
        format!("{timestamp}\n{}", shared.secret).as_bytes(),
    );
    let valid = query.contains_key("access_token") && fresh && sign == expected;
    let well_formed =
        serde_json::from_slice::<Value>(&body).is_ok_and(|b| b["msgtype"] == "markdown");
    let answer = match (valid, well_formed) {
        (true, true) => json!({"errcode": 0, "errmsg": "ok"}),
        (false, _) => json!({"errcode": 310000, "errmsg": "sign not match"}),
        (true, false) => json!({"errcode": 40035, "errmsg": "缺少参数 json"}),
    };
    keep(&shared, &headers, query, &body, 200);
    axum::Json(answer)
}

async fn wecom(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::Json<Value> {
    let valid = query.get("key") == Some(&shared.secret);
    let well_formed =
        serde_json::from_slice::<Value>(&body).is_ok_and(|b| b["msgtype"] == "markdown");
    let answer = match (valid, well_formed) {
        (true, true) => json!({"errcode": 0, "errmsg": "ok"}),
        (false, _) => json!({"errcode": 93000, "errmsg": "invalid webhook url"}),
        (true, false) => json!({"errcode": 40008, "errmsg": "invalid message type"}),
    };
    keep(&shared, &headers, query, &body, 200);
    axum::Json(answer)
}

async fn feishu(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::Json<Value> {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let timestamp = parsed["timestamp"].as_str().unwrap_or_default().to_owned();
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (now_ms() / 1000 - t).abs() < 3600);
    let expected = hmac_base64(format!("{timestamp}\n{}", shared.secret).as_bytes(), b"");
    let valid = fresh && parsed["sign"].as_str() == Some(expected.as_str());
    let answer = match (valid, parsed["msg_type"] == "interactive") {
        (true, true) => json!({"code": 0, "msg": "success", "data": {}}),
        (false, _) => {
            json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
        }
        (true, false) => json!({"code": 9499, "msg": "Bad Request"}),
    };
    keep(&shared, &headers, HashMap::new(), &body, 200);
    axum::Json(answer)
}
