//! Validates tenant folders without the platform: `cargo run -p civicpay-tenant-config
//! --example validate -- tenants/kobenhavn [more folders…]`. With no argument, every folder under
//! `tenants/` is checked. (The real entry point is `civicpay tenant validate`.)

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let results = if dirs.is_empty() {
        civicpay_tenant_config::load_all(std::path::Path::new("tenants"))
    } else {
        dirs.into_iter()
            .map(|dir| {
                let result = civicpay_tenant_config::load(&dir);
                (dir, result)
            })
            .collect()
    };
    let mut failed = false;
    for (dir, result) in results {
        match result {
            Ok(config) => println!(
                "{}: ok ({} products, {} zones, {} rules)",
                dir.display(),
                config.products.len(),
                config.zones.len(),
                config.rules.len()
            ),
            Err(errors) => {
                failed = true;
                eprintln!("{errors}");
                eprintln!("{}: {} problem(s)", dir.display(), errors.len());
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
