//! `hotline classify` and `hotline route` as a script would run them, and a real daemon
//! process reloading its rules on SIGHUP.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hotline::proto::{self, intake_service_client::IntakeServiceClient};

mod common;
use common::cli::{BINARY, hotline};

fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().expect("one line of JSON");
    serde_json::from_str(last).expect("valid JSON")
}

#[test]
fn classify_prints_the_decision_with_its_explanation() {
    let v = json_of(&hotline(&[
        "classify",
        "--json",
        "我家楼下的燒烤店天天晚上油煙很大，窗戶都不敢開。",
    ]));
    for key in [
        "outcome",
        "request_type",
        "domain",
        "category",
        "topic",
        "target",
        "explanation",
    ] {
        assert!(v.get(key).is_some(), "`{key}` missing from {v}");
    }
    assert_eq!(v["outcome"], "dispatch", "{v}");
    assert_eq!(v["category"], "environmental_protection", "{v}");
    let explanation = v["explanation"].as_array().unwrap();
    assert!(!explanation.is_empty(), "the decision is explained: {v}");

    let v = json_of(&hotline(&[
        "classify",
        "--json",
        "快来人，三楼着火了，有人被困在里面！",
    ]));
    assert_eq!(v["outcome"], "emergency_transfer");
    assert_eq!(v["target"], "fire_119");
}

#[test]
fn route_keeps_a_sub_centre_line_unless_the_matter_is_clearly_elsewhere() {
    let v = json_of(&hotline(&[
        "route",
        "--json",
        "--line",
        "12366",
        "你好，我想问一下这个事情应该怎么办。",
    ]));
    assert_eq!(v["outcome"], "dispatch", "{v}");
    assert_eq!(v["target"], "tax-12366", "{v}");

    let v = json_of(&hotline(&[
        "route",
        "--json",
        "--region",
        "320102001",
        "小区物业收了物业费不办事，电梯坏了一个月没人修。",
    ]));
    assert_eq!(v["target"], "xuanwu-01", "{v}");
    assert_eq!(v["route"]["copy_to"][0], "xuanwu", "{v}");
}

#[test]
fn a_bad_rules_file_is_named_with_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    let shipped = std::fs::read_to_string("config/rules.toml").unwrap();
    let broken = shipped.replacen("priority = ", "priority = 5000 #", 1);
    std::fs::write(&file, &broken).unwrap();
    let line = broken.lines().position(|l| l.contains("5000 #")).unwrap() + 1;
    let out = hotline(&["classify", "--rules", file.to_str().unwrap(), "--json", "x"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:{line}:", file.display())) && stderr.contains("priority"),
        "{stderr}"
    );
}

#[test]
fn categories_lists_the_taxonomy() {
    let v = json_of(&hotline(&["classify", "--categories", "--json"]));
    let text = v.to_string();
    assert!(text.contains("\"transport\"") && text.contains("taxi_ride_hailing"));
}

/// A daemon process whose stderr banner names its gRPC address; killed on drop.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::copy("config/rules.toml", &rules).unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("h.db").display());
    let token = common::auth::admin_token(&db).await;
    let mut child = Command::new(BINARY)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-metrics",
            "--no-watch",
            "--database-url",
            &db,
            "--rules",
            rules.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the daemon");
    let stderr = child.stderr.take().unwrap();
    let daemon = Daemon(child);
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("the daemon prints a banner").unwrap();
        if let Some(rest) = line.strip_prefix("hotline: gRPC on ") {
            break rest.split(',').next().unwrap().to_string();
        }
    };
    // Keep draining stderr so the daemon never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});

    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let intake = IntakeServiceClient::new(common::auth::with_token(channel, Some(&token)));
    let version = |mut client: IntakeServiceClient<hotline::auth::client::AuthedChannel>| async move {
        client
            .preview_classification(proto::PreviewClassificationRequest {
                description: "请问公积金怎么提取？".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .classification
            .unwrap()
            .rules_version
    };
    let before = version(intake.clone()).await;
    let text = std::fs::read_to_string(&rules).unwrap();
    let edited: String = text
        .lines()
        .map(|l| {
            if l.starts_with("version") {
                "version = \"after-sighup\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&rules, edited + "\n").unwrap();
    // No watch: the file alone changes nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(version(intake.clone()).await, before);

    let pid = daemon.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !version(intake.clone()).await.starts_with("after-sighup+") {
        assert!(Instant::now() < deadline, "SIGHUP did not reload the rules");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
