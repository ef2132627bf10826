"""The listening poller: X recent search per brand -> ``kind: listening`` events on
social.events.raw (see socialcare.listen.poller)."""
