"""The promoter loop: review links, referral links and the people they bring (docs/referrals.md)."""
