"""The respondent pages: personal links ``/s/<token>`` and public links ``/p/<slug>``."""
