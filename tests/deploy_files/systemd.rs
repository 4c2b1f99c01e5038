//! The systemd unit: `systemd-analyze verify` without a warning, and a low exposure score
//! from `systemd-analyze security`.

use super::tools::{SYSTEMD_ANALYZE, check, path_str, read};

const SYSTEMD_UNIT: &str = "deploy/systemd/hotline.service";

/// Exposure score ×10 that `systemd-analyze security` may report; the unit scores 1.1
/// (systemd 252), and dropping DynamicUser, the syscall filter or the capability bounding
/// set each push it past 1.3.
const SYSTEMD_EXPOSURE_THRESHOLD: &str = "13";

#[test]
fn unit_passes_verify_and_is_hardened() {
    // verify insists that ExecStart exists: point it at the binary cargo built for tests.
    let unit = read(SYSTEMD_UNIT);
    let shipped = "ExecStart=/usr/local/bin/hotline ";
    assert_eq!(
        unit.matches(shipped).count(),
        1,
        "{SYSTEMD_UNIT}: one {shipped}…"
    );
    let unit = unit.replace(
        shipped,
        &format!("ExecStart={} ", env!("CARGO_BIN_EXE_hotline")),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hotline.service");
    std::fs::write(&file, unit).unwrap();

    let out = check(&SYSTEMD_ANALYZE, &["verify", "--man=no", path_str(&file)]);
    // verify exits 0 on unknown keys and bad values; it only warns.
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(
        warnings.trim().is_empty(),
        "systemd-analyze verify warned:\n{warnings}"
    );
    let threshold = format!("--threshold={SYSTEMD_EXPOSURE_THRESHOLD}");
    check(
        &SYSTEMD_ANALYZE,
        &["security", "--offline=yes", &threshold, path_str(&file)],
    );
}
