# Genkontrollens brev om inaktivering (også e-mailens emne og tekst).
letter-deactivated-subject = Din parkeringslicens er inaktiveret
letter-deactivated-intro = Vi har kontrolleret din licens mod folkeregistret og køretøjsregistret. Licensen er inaktiveret fra i dag. ({ $sku }, { $plate })
letter-deactivated-reason = Begrundelse: { $reason }
letter-deactivated-next = Mener du, at oplysningerne er forkerte, kan du kontakte os. Du kan søge om en ny licens i webshoppen.

# Alle breve.
letter-reference = Licensnr. { $number }
letter-closing =
    Med venlig hilsen
    { $council }
