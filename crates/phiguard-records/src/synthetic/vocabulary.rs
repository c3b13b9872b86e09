//! Word lists for fictional people. Names are invented or common given names and surnames,
//! mixed freely, with non-ASCII letters on purpose; no list pairs a name with a real person.

pub(crate) const GIVEN_FEMALE: &[&str] = &[
    "Maida",
    "Zoë",
    "Łucja",
    "Anaïs",
    "Renée",
    "Ingrid",
    "Amara",
    "Chloé",
    "Maëlle",
    "Sigrún",
    "Yuki",
    "Oluwaseun",
    "Marisol",
    "Coletta",
    "Dagný",
];

pub(crate) const GIVEN_MALE: &[&str] = &[
    "Eddy", "José", "Søren", "Björn", "Kenji", "Mateo", "Reuben", "Jackson", "Émile", "Tomáš",
    "Nkosana", "Royal", "Elisha", "Jürgen", "Ciarán",
];

pub(crate) const FAMILY: &[&str] = &[
    "Ashgrove",
    "Delacroix-Núñez",
    "Hallström",
    "Kowalczyk",
    "Ó Briain",
    "Nakamura",
    "Þórsdóttir",
    "Ferreira",
    "Lindqvist",
    "Quintero",
    "Abernathy",
    "Brekke",
    "Çelik",
    "Vasquez-Oyelaran",
    "Whitcombe",
];

pub(crate) const STREETS: &[&str] = &[
    "Alder",
    "Jones",
    "Birchwood",
    "Harbor",
    "Quarry",
    "Meadowlark",
    "Tanner",
    "Old Mill",
];

pub(crate) const STREET_SUFFIXES: &[&str] = &[
    "Row",
    "Throughway",
    "Street",
    "Avenue",
    "Lane",
    "Gardens",
    "Way",
];

pub(crate) const CITIES: &[(&str, &str)] = &[
    ("Milford", "01757"),
    ("Lowell", "01852"),
    ("Brockton", "02301"),
    ("Quincy", "02169"),
    ("Salem", "01970"),
    ("Worcester", "01604"),
    ("Pittsfield", "01201"),
    ("Framingham", "01701"),
];

/// (code, display) of SNOMED CT encounter types.
pub(crate) const ENCOUNTER_TYPES: &[(&str, &str)] = &[
    ("185349003", "Encounter for check up (procedure)"),
    ("162673000", "General examination of patient (procedure)"),
    ("185345009", "Encounter for symptom (procedure)"),
    ("50849002", "Emergency room admission (procedure)"),
];

/// (LOINC code, display, unit, low, high) of quantity observations.
pub(crate) const VITALS: &[(&str, &str, &str, u64, u64)] = &[
    ("8302-2", "Body Height", "cm", 150, 195),
    ("29463-7", "Body Weight", "kg", 45, 120),
    ("39156-5", "Body Mass Index", "kg/m2", 18, 38),
    ("8867-4", "Heart rate", "/min", 55, 100),
    ("9279-1", "Respiratory rate", "/min", 12, 20),
    ("2339-0", "Glucose", "mg/dL", 70, 160),
    ("2093-3", "Total Cholesterol", "mg/dL", 140, 260),
];

/// (SNOMED CT code, display) of conditions.
pub(crate) const CONDITIONS: &[(&str, &str)] = &[
    ("44054006", "Diabetes"),
    ("38341003", "Hypertension"),
    ("444814009", "Viral sinusitis (disorder)"),
    ("195662009", "Acute viral pharyngitis (disorder)"),
    ("10509002", "Acute bronchitis (disorder)"),
];

/// (SNOMED CT code, display) of procedures.
pub(crate) const PROCEDURES: &[(&str, &str)] = &[
    ("430193006", "Medication Reconciliation (procedure)"),
    ("117015009", "Throat culture (procedure)"),
    (
        "23426006",
        "Measurement of respiratory function (procedure)",
    ),
];

/// (CVX code, display) of vaccines.
pub(crate) const VACCINES: &[(&str, &str)] = &[
    ("140", "Influenza, seasonal, injectable, preservative free"),
    ("113", "Td (adult) preservative free"),
    ("133", "Pneumococcal conjugate PCV 13"),
];

/// (RxNorm code, display) of medications.
pub(crate) const MEDICATIONS: &[(&str, &str)] = &[
    ("313782", "Acetaminophen 325 MG Oral Tablet"),
    (
        "860975",
        "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
    ),
    ("314076", "lisinopril 10 MG Oral Tablet"),
];

/// (product title, SKU stem, prescription, condition) of storefront products.
pub(crate) const PRODUCTS: &[(&str, &str, &str, &str)] = &[
    (
        "Thyroid care refill",
        "RX-THY",
        "Levothyroxine 50 mcg, 90 tablets",
        "hypothyroidism",
    ),
    (
        "Metabolic care refill",
        "RX-MET",
        "Metformin ER 500 mg, 60 tablets",
        "type 2 diabetes",
    ),
    (
        "Calm support refill",
        "RX-SER",
        "Sertraline 50 mg, 30 tablets",
        "generalized anxiety",
    ),
    (
        "Heart health refill",
        "RX-LIS",
        "Lisinopril 10 mg, 90 tablets",
        "high blood pressure",
    ),
];
