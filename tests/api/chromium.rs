//! A real headless Chromium (Debian's chromium and chromium-driver) driven over WebDriver, and the few things the
//! browser tests do with it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A chromedriver process on a free port, stopped when dropped.
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Chromedriver {
    pub fn start() -> Chromedriver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs: install Debian's chromium and chromium-driver (bash .ci/run does)");
        Chromedriver { child, port }
    }

    pub async fn session(&self, profile: &std::path::Path) -> Client {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1000,900",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities =
            json!({"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}});
        let capabilities = capabilities.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{}", self.port);
        for _ in 0..150 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            if let Ok(client) = ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                return client;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("chromedriver did not accept a session");
    }
}

/// How many tenths of a second a wait gives the page: 30 s, as fantoccini's own `wait()`, a bound for a machine
/// busy with the rest of the suite, never a pace the test relies on.
const PATIENCE: usize = 300;

/// Waits until the element's text contains `expected`.
pub async fn wait_for_text(browser: &Client, css: &str, expected: &str) -> String {
    let mut text = String::new();
    for _ in 0..PATIENCE {
        if let Ok(element) = browser.find(Locator::Css(css)).await {
            text = element.text().await.unwrap_or_default();
            if text.contains(expected) {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {expected:?}; it shows {text:?}");
}

/// Types `text` into the element `css`, once the page shows it.
pub async fn type_into(browser: &Client, css: &str, text: &str) {
    browser
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks the element `css`, once the page shows it.
pub async fn click(browser: &Client, css: &str) {
    browser
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Keeps what the browser showed under target/tmp, for people to look at.
pub async fn save_screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    std::fs::write(
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name),
        png,
    )
    .unwrap();
}

/// The text of the element `css` matches, once it is on the page.
pub async fn text_of(browser: &Client, css: &str) -> String {
    let element = browser.wait().for_element(Locator::Css(css)).await.unwrap();
    element.text().await.unwrap()
}

/// Signs `username` in on keygate's login page (the tenant fixed by the client) once the browser is there.
pub async fn sign_in_on_login_page(browser: &Client, username: &str, password: &str) {
    browser
        .wait()
        .for_element(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    type_into(browser, "#password", password).await;
    click(browser, "button[type=submit]").await;
}

/// Waits until no element matches `css` (the page that showed it has been replaced).
pub async fn wait_until_gone(browser: &Client, css: &str) {
    for _ in 0..PATIENCE {
        if browser.find(Locator::Css(css)).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} is still shown");
}
