# De brief van de hercontrole over de intrekking (ook onderwerp en tekst van de e-mail).
letter-deactivated-subject = Uw parkeervergunning is ingetrokken
letter-deactivated-intro = Wij hebben uw vergunning gecontroleerd in de basisregistraties. De vergunning is met ingang van vandaag ingetrokken. ({ $sku }, { $plate })
letter-deactivated-reason = Reden: { $reason }
letter-deactivated-next = Kloppen de gegevens niet, neem dan contact met ons op. U kunt in de webwinkel een nieuwe vergunning aanvragen.

# Elke brief.
letter-reference = Vergunningnr. { $number }
letter-closing =
    Met vriendelijke groet
    { $council }
