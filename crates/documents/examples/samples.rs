//! Writes the sample letter, permit and receipt (and long variants) into a directory, to look
//! at them: `cargo run -p civicpay-documents --example samples -- /tmp/documents`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".to_owned()));
    std::fs::create_dir_all(&dir)?;

    let mut long_letter = common::letter();
    long_letter.paragraphs.extend(
        (0..12).map(|i| format!("Afsnit {i}: {}", "Nørrebrogade Łódź ąćęłńóśźż. ".repeat(20))),
    );
    let mut light_permit = common::permit();
    light_permit.branding.primary_color = Some("#ffd500".to_owned());
    let mut long_receipt = common::receipt();
    long_receipt.lines = common::receipt_lines(120);

    let documents = [
        (
            "letter.pdf",
            civicpay_documents::render_letter(&common::letter())?,
        ),
        (
            "letter-long.pdf",
            civicpay_documents::render_letter(&long_letter)?,
        ),
        (
            "permit.pdf",
            civicpay_documents::render_permit(&common::permit())?,
        ),
        (
            "permit-light.pdf",
            civicpay_documents::render_permit(&light_permit)?,
        ),
        (
            "receipt.pdf",
            civicpay_documents::render_receipt(&common::receipt())?,
        ),
        (
            "receipt-long.pdf",
            civicpay_documents::render_receipt(&long_receipt)?,
        ),
    ];
    for (name, bytes) in documents {
        let path = dir.join(name);
        std::fs::write(&path, &bytes)?;
        println!("{} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}
