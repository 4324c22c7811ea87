# E-mail om sagsbehandlerens afgørelse.
email-approved-subject = Din ansøgning er godkendt
email-approved-body = Din ansøgning om { $sku } (nr. { $number }) er godkendt. Beløbet trækkes nu på dit kort, og licensen gælder fra i dag.
email-rejected-subject = Din ansøgning er afvist
email-rejected-body =
    Din ansøgning om { $sku } (nr. { $number }) er afvist: { $reason }
    Der er ikke trukket noget på dit kort; reservationen er frigivet.
