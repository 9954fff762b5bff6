"""What the demo company is made of: staff, surveys, names, comments and score mixes."""

from __future__ import annotations

#: Every demo staff user's password (docs/roles.md).
DEMO_PASSWORD = "polso-demo"
#: (e-mail, role, name). The first of each role is the documented login; the others are the
#: colleagues who share the queues.
STAFF = [
    ("admin@example.com", "admin", "Ada Marchetti"),
    ("hr@example.com", "hr", "Hana Kovač"),
    ("support@example.com", "support", "Sam Rivera"),
    ("viewer@example.com", "viewer", "Vera Lindqvist"),
    ("marco.conti@example.com", "hr", "Marco Conti"),
    ("giulia.ferri@example.com", "support", "Giulia Ferri"),
    ("tom.baker@example.com", "support", "Tom Baker"),
]

SURVEYS = [
    {"kind": "nps", "slug": "acme-nps", "title": "Acme — how are we doing?", "is_public": True},
    {"kind": "csat", "slug": "support-csat", "title": "Your support request"},
    {"kind": "enps", "slug": "enps", "title": "Would you recommend working at Acme?"},
    {"kind": "pulse", "slug": "team-pulse", "title": "Pulse del team", "locale": "it"},
]
#: Settings other than the defaults: HR's scheduled employee surveys do not hold each other
#: back (the throttle still spaces the customer surveys).
SETTINGS = {
    "team-pulse": {"throttle_days": 0},
    "enps": {"throttle_days": 0,
             "texts": {"it": {"title": "Consiglieresti di lavorare in Acme?"}}},
    # The demo's people answer in English or Italian: an Italian page has an Italian title.
    "acme-nps": {"texts": {"it": {"title": "Acme — come stiamo andando?"}}},
    "support-csat": {"texts": {"it": {"title": "La tua richiesta di assistenza"}}},
}
#: When each survey's waves went out, in days before today (CSAT goes out per ticket instead).
WAVES = {"acme-nps": [350, 260, 170, 80, 6], "enps": [345, 255, 165, 75, 4],
         "team-pulse": [100, 70, 40]}
#: Share of invitations answered.
RESPONSE_RATES = {"nps": 0.35, "csat": 0.45, "enps": 0.7, "pulse": 0.6}
#: Weight of each score (0–10; CSAT 1–5), near published averages: software NPS about +30
#: (50 % promoters, 20 % detractors), CSAT about 80 % satisfied, eNPS about +15.
SCORE_WEIGHTS = {
    "nps": [2, 1, 1, 2, 2, 4, 5, 12, 18, 25, 28],
    "csat": [5, 5, 9, 30, 51],
    "enps": [2, 2, 2, 3, 4, 6, 7, 17, 17, 20, 20],
    "pulse": [2, 2, 2, 3, 4, 6, 7, 17, 17, 20, 20],
}

FIRST_NAMES = {
    "en": ["Olivia", "James", "Emma", "Noah", "Sophie", "Liam", "Grace", "Oliver", "Chloe",
           "Daniel", "Hannah", "Ethan", "Megan", "Ryan", "Zoe", "Adam", "Priya", "Aisha",
           "Lucas", "Nina"],
    "it": ["Giulia", "Luca", "Francesca", "Matteo", "Chiara", "Alessandro", "Sara", "Davide",
           "Elena", "Andrea", "Martina", "Simone", "Valentina", "Federico", "Alice", "Stefano",
           "Irene", "Paolo", "Silvia", "Giorgio"],
}
LAST_NAMES = {
    "en": ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker",
           "Hughes", "Green", "Clarke", "Patel", "Murphy", "Collins", "Ward", "Turner"],
    "it": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
           "Marino", "Greco", "Bruno", "Gallo", "Costa", "Fontana", "Moretti", "Barbieri"],
}
#: Customer attributes (segments).
PLANS = ["free", "pro", "pro", "enterprise"]
COUNTRIES = ["IT", "IT", "UK", "DE", "FR"]
#: Employee departments and their teams.
DEPARTMENTS = {"Engineering": ["Platform", "Mobile"], "Sales": ["Inside sales", "Accounts"],
               "Support": ["Tier 1", "Tier 2"], "Operations": ["Finance", "People"]}

#: Comments by pool (NPS about the product, CSAT about one support request, employees about
#: work), band (high / mid / low score) and language. A pool is only used by its surveys.
COMMENTS = {
    "nps": {
        "high": {"en": ["Great product, it saves our team hours every week.",
                        "Easy to use and the reports are exactly what we needed.",
                        "Reliable and fairly priced, I recommend it to other companies."],
                 "it": ["Ottimo prodotto, ci fa risparmiare ore ogni settimana.",
                        "Facile da usare e i report sono proprio quello che serviva."]},
        "mid": {"en": ["It's fine, but the mobile app could be faster.",
                       "Good overall, the billing page is confusing."],
                "it": ["Nel complesso bene, ma l'app è un po' lenta.",
                       "Buono, però la fatturazione non è chiara.",
                       "Funziona, ma mancano le integrazioni che ci servono."]},
        "low": {"en": ["Too expensive for what it does.",
                       "The last update broke our exports and nobody warned us.",
                       "Terrible onboarding, we are still missing half the features we paid for.",
                       "Slow and unreliable this quarter, we lost data twice."],
                "it": ["Troppo caro per quello che offre.",
                       "L'ultimo aggiornamento ha rotto le esportazioni, pessimo.",
                       "Lento e poco affidabile, abbiamo perso dati due volte.",
                       "Assistenza introvabile quando serve davvero."]},
    },
    "csat": {
        "high": {"en": ["Quick answer and the problem was solved the same day.",
                        "Very friendly agent, thank you!"],
                 "it": ["Risposta veloce, problema risolto in giornata.",
                        "Operatore gentilissimo, grazie!"]},
        "mid": {"en": ["Solved in the end, but I had to explain it twice."],
                "it": ["Risolto, ma ho dovuto spiegare il problema due volte."]},
        "low": {"en": ["Terrible support, nobody answered my emails for a week.",
                       "The refund took forever and the agent was rude."],
                "it": ["Pessimo servizio, nessuno ha risposto alle mie email.",
                       "Il rimborso è arrivato dopo settimane, inaccettabile."]},
    },
    "employees": {
        "high": {"en": ["Great colleagues and a manager who listens.",
                        "I like the flexibility and the projects."],
                 "it": ["Colleghi fantastici e un responsabile che ascolta.",
                        "Mi piacciono la flessibilità e i progetti."]},
        "mid": {"en": ["Good place, but career paths are unclear."],
                "it": ["Si sta bene, ma i percorsi di crescita non sono chiari.",
                       "Ambiente buono, stipendi nella media."]},
        "low": {"en": ["Unsustainable workload, too much overtime.",
                       "Decisions are made without asking the people who do the work."],
                "it": ["Carico di lavoro insostenibile, troppi straordinari.",
                       "Le decisioni arrivano dall'alto senza ascoltare chi lavora."]},
    },
}
#: Answers to the pulse's open question.
IDEAS = {"en": ["Fewer meetings on Fridays.", "A clearer roadmap for the next quarter."],
         "it": ["Meno riunioni il venerdì.", "Obiettivi più chiari per il trimestre.",
                "Un monitor in più per chi lavora da casa."]}
#: What agents write on cases, by team.
NOTES = {"support": ["Called the customer back; they confirmed the fix.",
                     "Escalated to billing, refund approved.",
                     "Sent a workaround while engineering fixes the export."],
         "hr": ["Met them for a coffee; agreed to review the workload with their manager.",
                "Talked about the career path; follow-up in a month."]}
OUTCOMES = {"support": ["fixed", "fixed", "refunded", "explained"],
            "hr": ["explained", "fixed", "other"]}
