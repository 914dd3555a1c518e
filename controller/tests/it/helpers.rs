//! `spawn_app()` and a small HTTP client with a cookie jar.

use controller::bootstrap;
use controller::config::Config;
use controller::kernel::db::Store;
use controller::kernel::scope::Scope;
use controller::kernel::work::Work;
use controller::AppState;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    /// The running app's own state: work done through it wakes the app's fleet link.
    pub state: AppState,
    pub database_url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A fresh database: a SQLite file in a temporary directory, or a new PostgreSQL database.
pub async fn fresh_database_url() -> String {
    let unique = controller::kernel::random::token()[..12].to_owned();
    match std::env::var("SETU_TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            sqlx::any::install_default_drivers();
            let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                .await
                .expect("connect to SETU_TEST_POSTGRES_URL");
            let name = format!("setu_test_{unique}");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b)
                .to_owned();
            format!("{base}/{name}")
        }
        Err(_) => {
            let dir = std::env::temp_dir().join(format!("setu-controller-test-{unique}"));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("setu.db").display())
        }
    }
}

/// Defaults without the embedded broker (most tests do not need one; see `broker.rs`) and
/// without the job scheduler (a test that wants a recurring job enqueues it, or switches the
/// scheduler on): the daily billing job must not run a company's billing behind a test's back.
pub fn test_config() -> Config {
    let mut config = Config::default();
    config.mqtt.embedded = false;
    config.jobs.scheduler = false;
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_config()).await
}

/// A port that was free a moment ago (rumqttd binds its own listener, so it cannot take port 0).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `TEST_LOG=1` shows the controller's log (errors behind a 500, say) on the test's output.
fn init_test_log() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
                .with_test_writer()
                .try_init();
        }
    });
}

pub async fn spawn_with(mut config: Config) -> TestApp {
    config.database.url = fresh_database_url().await;
    spawn_on_database(config).await
}

/// The app on the database `config` names, as it is (a test that prepared an older schema).
pub async fn spawn_on_database(config: Config) -> TestApp {
    init_test_log();
    let database_url = config.database.url.clone();
    let store = controller::open_store(&config).await.expect("open store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = controller::state(config, store.clone())
        .await
        .expect("app state");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(controller::serve(state.clone(), listener, async {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        store,
        state,
        database_url,
        _stop: stop,
    }
}

impl TestApp {
    /// Work in `scope` as the system (what a job or callback does), for setting up and checking.
    pub async fn work(&self, scope: Scope) -> Work {
        Work::system(&self.state, scope, "test")
            .await
            .expect("begin work")
    }

    /// Reads in `scope` without holding a transaction (so the app can write meanwhile).
    pub async fn read(&self, scope: Scope) -> Work {
        use controller::kernel::scope::Actor;
        use controller::kernel::work::Held;
        Work::read(&self.state, scope, Actor::System("test"), Held::Everything)
            .await
            .expect("read")
    }

    /// How many branches the company of `scope` has.
    pub async fn branch_count(&self, scope: Scope) -> i64 {
        let mut work = self.read(scope).await;
        controller::tenancy::store::count_branches(&mut work)
            .await
            .unwrap()
    }

    /// Whether the audit log's chains are intact.
    pub async fn audit_intact(&self) -> bool {
        let mut db = self.store.conn().await.unwrap();
        controller::kernel::audit::verify(&mut db)
            .await
            .unwrap()
            .is_ok()
    }
}

/// The value of the environment variable switching on a test that needs an outside service.
/// Without it the test is skipped locally, but fails under CI (`CI` set), so a broken
/// `.ci/run` step cannot pass by skipping.
pub fn service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set, and CI is: the test cannot skip")
        }
        _ => {
            println!("skipped: {var} is not set (see .ci/run)");
            None
        }
    }
}

/// A company with seeded roles, one branch, and a user per given role (password = username + "-pw-123").
pub struct Company {
    pub scope: Scope,
    pub branch: controller::tenancy::store::Branch,
}

/// A POP named `pop` (in `branch`) with one router named `router`, in the work's company.
pub async fn pop_with_router(
    work: &mut Work,
    pop: &str,
    branch: Option<controller::kernel::ids::BranchId>,
    router: &str,
) -> controller::fleet::store::Router {
    use controller::fleet::service::{create_pop, create_router, PopInput, RouterInput};
    let pop = create_pop(
        work,
        &PopInput {
            name: pop.into(),
            branch_id: branch,
        },
    )
    .await
    .unwrap();
    create_router(
        work,
        &RouterInput {
            pop_id: Some(pop.id),
            name: router.into(),
        },
    )
    .await
    .unwrap()
}

pub async fn company(app: &TestApp, name: &str, staff: &[(&str, &str)]) -> Company {
    let company = bootstrap::create_company(&app.state, name).await.unwrap();
    let scope = Scope::system(company.id);
    let mut work = app.work(scope).await;
    let input = controller::tenancy::service::NameInput {
        name: format!("{name} HQ"),
    };
    let branch = controller::tenancy::service::create_branch(&mut work, &input)
        .await
        .unwrap();
    work.commit().await.unwrap();
    for (username, role) in staff {
        bootstrap::create_staff(
            &app.state,
            scope,
            username,
            username,
            &password_of(username),
            role,
        )
        .await
        .unwrap();
    }
    Company { scope, branch }
}

/// A staff member limited to one branch of the company.
pub async fn branch_staff(
    app: &TestApp,
    scope: Scope,
    branch: controller::kernel::ids::BranchId,
    username: &str,
    role: &str,
) {
    let mut work = app.work(scope).await;
    let input = controller::staff::service::StaffInput {
        username: username.into(),
        display_name: username.into(),
        password: password_of(username),
        role: role.into(),
        branch_id: Some(branch),
    };
    controller::staff::service::create_staff(&mut work, &input)
        .await
        .unwrap();
    work.commit().await.unwrap();
}

pub fn password_of(username: &str) -> String {
    format!("{username}-pw-123")
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `csrf` hidden field of the first form on the page.
    pub fn form_csrf(&self) -> String {
        let at = self
            .body
            .find("name=csrf value=\"")
            .expect("page has a form with a csrf field")
            + 17;
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

/// An HTTP/1.1 client that keeps cookies, like a browser would.
pub struct Client {
    addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
    pub user_agent: String,
}

impl Client {
    pub fn new(app: &TestApp) -> Client {
        Client {
            addr: app.addr,
            cookies: BTreeMap::new(),
            user_agent: "setu-test".into(),
        }
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        extra: &[(&str, &str)],
    ) -> Response {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: {}\r\n",
            self.user_agent
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(raw.len());
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = raw.get(split + 4..).unwrap_or_default();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() || v.contains("Max-Age=0") {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_owned(), value.to_owned());
                    }
                }
            }
        }
        let body = decode_chunked(&headers, body);
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, None, b"", &[]).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        self.request(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            body.join("&").as_bytes(),
            &[],
        )
        .await
    }

    /// A JSON request carrying the session's CSRF token, as the UI's scripts would.
    pub async fn json(&mut self, method: &str, path: &str, body: &str) -> Response {
        let csrf = self.csrf().await;
        self.request(
            method,
            path,
            Some("application/json"),
            body.as_bytes(),
            &[("x-csrf-token", &csrf)],
        )
        .await
    }

    pub async fn csrf(&mut self) -> String {
        let me = self.get("/api/v1/me").await;
        if me.status != 200 {
            return String::new();
        }
        me.json()["csrf_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Signs in through the login form; returns the final response.
    pub async fn login(&mut self, username: &str, password: &str) -> Response {
        let form = self.get("/login").await;
        let csrf = form.form_csrf();
        self.post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    /// A request with an API token instead of the cookie.
    pub async fn bearer(&mut self, method: &str, path: &str, token: &str, body: &str) -> Response {
        let auth = format!("Bearer {token}");
        self.request(
            method,
            path,
            Some("application/json"),
            body.as_bytes(),
            &[("Authorization", &auth)],
        )
        .await
    }

    pub async fn login_as(app: &TestApp, username: &str) -> Client {
        let mut c = Client::new(app);
        let r = c.login(username, &password_of(username)).await;
        assert_eq!(r.status, 303, "login of {username}: {}", r.body);
        c
    }
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode_chunked(headers: &[(String, String)], body: &[u8]) -> String {
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if !chunked {
        return String::from_utf8_lossy(body).into_owned();
    }
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..line_end]);
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let tail = &rest[line_end + 2..];
        if n == 0 {
            break;
        }
        out.extend_from_slice(&tail[..n.min(tail.len())]);
        rest = tail.get(n + 2..).unwrap_or_default();
    }
    String::from_utf8_lossy(&out).into_owned()
}
