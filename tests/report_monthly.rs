//! `hotline report monthly` end to end: a seeded month of tickets (two months, so growth is
//! measured), a real daemon, the report as JSON, CSV and HTML, and the HTML opened in
//! headless Chromium, whose screenshot must show a page with colour and charts and whose
//! DOM must hold the chart SVGs. Chromium is required (`.ci/run` installs Debian's): a
//! machine without it fails this test, saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::cli::{hotline, hotline_as, text};
use common::daemon::Daemon;

const MONTH: &str = "2026-11";
const UNTIL: &str = "2026-11-30T22:00:00+08:00";
/// Charts the page draws (`data-chart` of each SVG).
const CHARTS: [&str; 5] = ["rates", "scores", "hot-categories", "hot-places", "repeats"];

#[test]
fn help_names_every_flag() {
    let out = hotline(&["report", "monthly", "--help"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for flag in ["--month", "--format", "--output", "--json", "--server"] {
        assert!(help.contains(flag), "no {flag} in:\n{help}");
    }
}

fn chromium() -> PathBuf {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|dir| Path::new(dir).join(name))
                .find(|path| path.is_file())
        });
    found.expect(
        "no chromium on PATH: the monthly report's render check needs headless Chromium \
         (`apt-get install chromium fonts-noto-cjk`; .ci/run installs them)",
    )
}

/// Runs headless Chromium on `page` with a profile of its own; answers stdout.
fn headless(dir: &Path, page: &Path, args: &[&str]) -> String {
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--window-size=1200,2000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Distinct colours, and the share of pixels that are not the page background.
fn pixel_variety(png_file: &Path) -> (usize, f64, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_file).expect("screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buffer).expect("a frame");
    let channels = info.color_type.samples();
    assert!(
        channels >= 3,
        "colour screenshot, got {:?}",
        info.color_type
    );
    let pixels: Vec<[u8; 3]> = buffer[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut counts = std::collections::HashMap::new();
    for p in &pixels {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let background = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(p, _)| *p)
        .unwrap();
    let other = pixels.iter().filter(|p| **p != background).count();
    let colours: Vec<[u8; 3]> = counts.keys().copied().collect();
    (counts.len(), other as f64 / pixels.len() as f64, colours)
}

fn near(colours: &[[u8; 3]], want: [u8; 3]) -> bool {
    colours
        .iter()
        .any(|c| c.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 6))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_month_renders_with_real_charts_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("h.db").display());
    let seeded = hotline(&[
        "seed",
        "--tickets",
        "3000",
        "--months",
        "2",
        "--until",
        UNTIL,
        "--database-url",
        &url,
        "--json",
    ]);
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
    // A lower bar for hot places than the shipped 20, for a small seed spread over 110 places.
    let assessment = dir.path().join("assessment.toml");
    std::fs::write(&assessment, "[hot_issues]\nmin_volume = 5\n").unwrap();
    let daemon = Daemon::start(&url, &["--assessment", assessment.to_str().unwrap()]).await;
    let server = format!("http://{}", daemon.grpc);
    let report = |format: &str, file: &Path| {
        let out = hotline_as(
            &daemon.token,
            &[
                "report",
                "monthly",
                "--server",
                &server,
                "--month",
                MONTH,
                "--format",
                format,
                "--output",
                file.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        std::fs::read_to_string(file).unwrap()
    };

    // JSON: every class, ranked units with scores, growth measured against October.
    let json: serde_json::Value =
        serde_json::from_str(&report("json", &dir.path().join("r.json"))).unwrap();
    assert_eq!(json["month"], MONTH);
    assert_eq!(json["previousMonth"], "2026-10");
    let classes = json["classes"].as_array().unwrap();
    let codes: Vec<&str> = classes
        .iter()
        .map(|c| c["unitClass"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["district", "department", "enterprise", "street"]);
    for class in classes {
        let units = class["units"].as_array().unwrap();
        let ranked: Vec<&serde_json::Value> =
            units.iter().filter(|u| u.get("rank").is_some()).collect();
        assert!(
            !ranked.is_empty(),
            "no ranked unit in {}",
            class["unitClass"]
        );
        assert_eq!(ranked[0]["rank"], 1);
        let scores: Vec<f64> = ranked
            .iter()
            .map(|u| u["score"].as_f64().unwrap())
            .collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "best first: {scores:?}"
        );
        assert!(scores.iter().all(|s| (0.0..=100.0).contains(s)));
    }
    let tickets: u64 = json["tickets"].as_str().unwrap().parse().unwrap();
    let previous: u64 = json["previousTickets"].as_str().unwrap().parse().unwrap();
    assert!(tickets > 1000 && previous > 1000, "{tickets} / {previous}");
    assert!(!json["hotCategories"].as_array().unwrap().is_empty());
    assert!(!json["hotPlaces"].as_array().unwrap().is_empty());
    let repeats = json["repeatRequesters"].as_array().unwrap();
    assert!(!repeats.is_empty(), "the seed repeats requests");
    let phone = repeats[0]["phone"].as_str().unwrap();
    assert!(phone.contains("******"), "masked: {phone}");

    // CSV: the ranking block has a row per assessed unit of the catalogue.
    let csv_text = report("csv", &dir.path().join("r.csv"));
    let ranking = csv_text.split("\n\n").next().unwrap();
    let mut rows = csv::Reader::from_reader(ranking.as_bytes());
    let units: usize = classes
        .iter()
        .map(|c| c["units"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows.records().count(), units);

    // HTML in Chromium: a DOM with the chart SVGs and their bars, and a screenshot with
    // the page's colours, not a blank or an error page.
    let page = dir.path().join("report.html");
    report("html", &page);
    let dom = headless(dir.path(), &page, &["--dump-dom"]);
    for chart in CHARTS {
        assert!(
            dom.contains(&format!("data-chart=\"{chart}\"")),
            "no {chart} chart in the DOM"
        );
    }
    let bars = dom.matches("<rect class=\"bar-").count();
    assert!(bars > 100, "{bars} bars");
    let shot = dir.path().join("shot.png");
    headless(
        dir.path(),
        &page,
        &[&format!("--screenshot={}", shot.display())],
    );
    let (colours, covered, palette) = pixel_variety(&shot);
    assert!(colours > 200, "{colours} colours: a blank page?");
    assert!(
        covered > 0.15,
        "only {:.1}% of the page is not background",
        covered * 100.0
    );
    // The header's red, and the score bars' blue: CSS and SVG were drawn.
    assert!(near(&palette, [0x8f, 0x1d, 0x1d]), "no header colour");
    assert!(near(&palette, [0x2f, 0x6f, 0xb3]), "no score bars");

    // A month that is not one is refused, naming the field.
    for bad in ["2026-13", "November", "1999-12"] {
        let out = hotline_as(
            &daemon.token,
            &["report", "monthly", "--server", &server, "--month", bad],
        );
        assert!(!out.status.success(), "{bad} accepted");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("INVALID_ARGUMENT") && stderr.contains("month"),
            "{bad}: {stderr}"
        );
    }
    daemon.assert_no_panic();
}
