# De e-mail over het besluit van de behandelaar.
email-approved-subject = Uw aanvraag is goedgekeurd
email-approved-body = Uw aanvraag voor { $sku } (nr. { $number }) is goedgekeurd. Het bedrag wordt nu afgeschreven; de vergunning geldt vanaf vandaag.
email-rejected-subject = Uw aanvraag is afgewezen
email-rejected-body =
    Uw aanvraag voor { $sku } (nr. { $number }) is afgewezen: { $reason }
    Er is niets afgeschreven; de reservering is vrijgegeven.
