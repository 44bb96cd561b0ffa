//! A small tmpfs for the full-disk tests: mounted for one test, filled to the last
//! byte on demand, unmounted when dropped. Mounting needs root (the tests run as
//! root here and in CI); where it is refused the test is told so and says so loudly.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};

/// A mounted tmpfs.
pub struct Tmpfs {
    /// Where it is mounted.
    pub path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=` reads it) at `path`. `None`,
    /// after saying on stderr why and that `covered_elsewhere` (what still tests
    /// the fault), when the system refuses.
    pub fn mount(path: &Path, size: &str, covered_elsewhere: &str) -> Result<Option<Self>> {
        std::fs::create_dir_all(path)?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output();
        let reason = match output {
            Ok(output) if output.status.success() => return Ok(Some(Self { path: path.to_owned() })),
            Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            Err(error) => error.to_string(),
        };
        let _ = writeln!(
            std::io::stderr(),
            "FULL-DISK TEST NOT RUN: mounting a tmpfs was refused ({reason}); it needs root. {covered_elsewhere}"
        );
        Ok(None)
    }

    /// Writes a file until the file system is full (to the last byte that fits);
    /// returns its path. Fails if writing stops for another reason than ENOSPC.
    pub fn fill(&self) -> Result<PathBuf> {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler)?;
        let block = vec![0x5a_u8; 64 * 1024];
        loop {
            if let Err(error) = file.write_all(&block) {
                if error.raw_os_error() != Some(28) {
                    bail!("the filler stops on ENOSPC, not on {error}");
                }
                break;
            }
        }
        // Whatever part of a block still fits.
        let mut byte = [0x5a_u8];
        while file.write(&byte).is_ok_and(|n| n == 1) {
            byte[0] = byte[0].wrapping_add(1);
        }
        Ok(filler)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Polls `{base}/healthz` until it answers 200 again, at most 20 s after `since`
/// (when the full storage got its space back); returns the seconds that took.
pub async fn healthy_again(base: &str, since: Instant) -> Result<f64> {
    loop {
        if reqwest::get(format!("{base}/healthz")).await?.status().is_success() {
            return Ok(since.elapsed().as_secs_f64());
        }
        ensure!(
            since.elapsed() < Duration::from_secs(20),
            "/healthz still reports the storage full 20 s after space returned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
