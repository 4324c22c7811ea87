//! Sample documents in Danish, Dutch and Polish, shared by the tests and the example.

#![allow(dead_code, reason = "each test binary uses a different part")]

use civicpay_documents::{Branding, Letter, PermitDocument, Receipt, ReceiptLabels, ReceiptLine};

pub fn kobenhavn() -> Branding {
    Branding {
        council_name: "Københavns Kommune".to_owned(),
        primary_color: Some("#1f5ca8".to_owned()),
        contact: Some(
            "Københavns Kommune · Borgerservice · Nørrebrogade 208, 2200 København N · \
             tlf. 33 66 33 66 · kk.dk/parkering"
                .to_owned(),
        ),
    }
}

pub fn lodz() -> Branding {
    Branding {
        council_name: "Urząd Miasta Łodzi".to_owned(),
        primary_color: Some("#c8102e".to_owned()),
        contact: Some("ul. Piotrkowska 104, 90-926 Łódź · tel. 42 638 40 00".to_owned()),
    }
}

pub fn letter() -> Letter {
    Letter {
        branding: kobenhavn(),
        recipient_name: "Søren Ærø Åberg".to_owned(),
        recipient_address: vec![
            "Nørrebrogade 12, 3. tv.".to_owned(),
            "2200 København N".to_owned(),
        ],
        date: "3. marts 2025".to_owned(),
        reference: "Sagsnr. 2025-0042".to_owned(),
        subject: "Din beboerlicens er blevet deaktiveret".to_owned(),
        paragraphs: vec![
            "Vi har deaktiveret din beboerlicens til zone K for bilen AB 12 345, fordi \
             Folkeregistret (CPR) ikke længere viser dig som bosat på en adresse i zonen. \
             Licensen gælder derfor ikke fra i dag."
                .to_owned(),
            "Hvis du mener, at det er en fejl, kan du kontakte Borgerservice inden for 14 dage. \
             Har du flyttet inden for zonen, skal du blot opdatere din adresse, så genaktiverer \
             vi licensen. Polske og hollandske tegn skal også kunne vises: Łódź, ąćęłńóśźż, \
             ĳsvrij, één."
                .to_owned(),
        ],
        closing: "Med venlig hilsen\nBorgerservice, Københavns Kommune".to_owned(),
    }
}

pub fn permit() -> PermitDocument {
    PermitDocument {
        branding: Branding {
            council_name: "Gemeente Utrecht".to_owned(),
            primary_color: Some("#c60c30".to_owned()),
            contact: Some("Stadskantoor, Stadsplateau 1, Utrecht · 14 030".to_owned()),
        },
        title: "Bewonersvergunning — zone Binnenstad".to_owned(),
        fields: vec![
            ("Kenteken".to_owned(), "GB-123-X".to_owned()),
            (
                "Zone".to_owned(),
                "A — Binnenstad (Łódź-test ąćęłńóśźż)".to_owned(),
            ),
            ("Geldig van".to_owned(), "1 april 2025".to_owned()),
            ("Geldig tot en met".to_owned(), "31 maart 2026".to_owned()),
            (
                "Vergunninghouder".to_owned(),
                "BSN ****5678 · Nørrebrogade".to_owned(),
            ),
        ],
        permit_number_label: "Vergunningnummer".to_owned(),
        permit_number: "UTR-2025-000123".to_owned(),
        footer: Some(
            "De vergunning is digitaal gekoppeld aan het kenteken; dit document is een bewijs \
             voor uw eigen administratie."
                .to_owned(),
        ),
    }
}

pub fn receipt_lines(n: usize) -> Vec<ReceiptLine> {
    (1..=n)
        .map(|i| ReceiptLine {
            description: format!("Abonament parkingowy, strefa Śródmieście, miesiąc {i}"),
            quantity: "1".to_owned(),
            vat: "23 %".to_owned(),
            amount: format!("{i},00 zł"),
        })
        .collect()
}

pub fn receipt() -> Receipt {
    Receipt {
        branding: lodz(),
        title: "Potwierdzenie płatności".to_owned(),
        labels: ReceiptLabels {
            reference: "Numer".to_owned(),
            issued_at: "Data".to_owned(),
            payment_method: "Metoda płatności".to_owned(),
            description: "Opis".to_owned(),
            quantity: "Ilość".to_owned(),
            vat: "VAT".to_owned(),
            amount: "Kwota".to_owned(),
            total: "Razem".to_owned(),
        },
        reference: "LDZ-2025-000987".to_owned(),
        issued_at: "3 marca 2025, 14:05".to_owned(),
        payment_method: "BLIK".to_owned(),
        lines: vec![
            ReceiptLine {
                description: "Abonament mieszkańca, strefa A, Łódź — 12 miesięcy".to_owned(),
                quantity: "1".to_owned(),
                vat: "23 %".to_owned(),
                amount: "1 200,00 zł".to_owned(),
            },
            ReceiptLine {
                description: "Opłata za wydanie identyfikatora (ąćęłńóśźż)".to_owned(),
                quantity: "2".to_owned(),
                vat: "23 %".to_owned(),
                amount: "20,00 zł".to_owned(),
            },
        ],
        total: "1 220,00 zł".to_owned(),
        vat_summary: vec![("W tym VAT 23 %".to_owned(), "228,13 zł".to_owned())],
        footer_lines: vec![
            "Urząd Miasta Łodzi, ul. Piotrkowska 104, 90-926 Łódź, NIP 725-00-28-902.".to_owned(),
            "Dokument wygenerowany elektronicznie, nie wymaga podpisu.".to_owned(),
        ],
    }
}
