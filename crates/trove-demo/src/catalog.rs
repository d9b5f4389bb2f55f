//! Northwind Mutual, the invented company: departments, journey, business units, products,
//! regions and the name lists customers are drawn from.

use trove_domain::{Department, DomainError, Journey, Label, Slug, Stage, Touchpoint};

/// The company's display name.
pub(crate) const COMPANY: &str = "Northwind Mutual";
/// The source name every demo item carries.
pub(crate) const SOURCE: &str = "northwind-demo";
/// The handle customers tag on social media.
pub(crate) const HANDLE: &str = "@NorthwindMutual";
/// The currency of customer values.
pub(crate) const CURRENCY: &str = "USD";
/// The company's fixed UTC offset, in hours.
pub(crate) const UTC_OFFSET_HOURS: i8 = -5;

/// Departments: (id, name).
const DEPARTMENTS: [(&str, &str); 8] = [
    ("claims", "Claims"),
    ("billing", "Billing"),
    ("it", "IT and Digital"),
    ("underwriting", "Underwriting"),
    ("customer-care", "Customer Care"),
    ("marketing", "Marketing"),
    ("legal", "Legal and Compliance"),
    ("field-services", "Field Services"),
];

/// A touchpoint as data: (id, name, moment of truth, departments).
type TouchpointSpec = (&'static str, &'static str, bool, &'static [&'static str]);

/// Journey stages in order: (id, name, touchpoints).
const STAGES: [(&str, &str, &[TouchpointSpec]); 7] = [
    (
        "discover",
        "Discover",
        &[
            (
                "online-quote",
                "Online quote",
                true,
                &["marketing", "it", "underwriting"],
            ),
            (
                "advertising",
                "Advertising and offers",
                false,
                &["marketing", "legal"],
            ),
        ],
    ),
    (
        "buy",
        "Buy",
        &[
            (
                "checkout",
                "Buy online",
                true,
                &["it", "billing", "underwriting"],
            ),
            (
                "sales-call",
                "Sales call",
                false,
                &["customer-care", "underwriting"],
            ),
        ],
    ),
    (
        "onboard",
        "Onboard",
        &[
            (
                "welcome-pack",
                "Welcome pack and documents",
                false,
                &["marketing", "legal", "underwriting"],
            ),
            (
                "account-setup",
                "App and portal set-up",
                true,
                &["it", "customer-care"],
            ),
        ],
    ),
    (
        "use",
        "Live with the policy",
        &[
            ("mobile-app", "Mobile app", true, &["it"]),
            (
                "policy-documents",
                "Policy documents",
                false,
                &["legal", "underwriting", "it"],
            ),
            (
                "policy-change",
                "Mid-term change",
                false,
                &["underwriting", "billing", "customer-care"],
            ),
        ],
    ),
    (
        "pay",
        "Pay",
        &[
            ("first-bill", "First bill", true, &["billing"]),
            (
                "monthly-payment",
                "Monthly direct debit",
                false,
                &["billing", "it"],
            ),
        ],
    ),
    (
        "get-help",
        "Claim and get help",
        &[
            (
                "report-claim",
                "Report a claim",
                true,
                &["claims", "customer-care", "it"],
            ),
            (
                "claim-assessment",
                "Assessment and repair",
                false,
                &["claims", "field-services"],
            ),
            ("claim-payout", "Claim payout", true, &["claims", "billing"]),
            (
                "roadside-assistance",
                "Roadside assistance",
                true,
                &["field-services", "customer-care"],
            ),
            (
                "contact-centre",
                "Contact centre",
                false,
                &["customer-care"],
            ),
        ],
    ),
    (
        "renew",
        "Renew or leave",
        &[
            (
                "renewal-offer",
                "Renewal offer",
                true,
                &["underwriting", "marketing", "billing"],
            ),
            (
                "cancellation",
                "Cancellation",
                true,
                &["customer-care", "billing", "legal"],
            ),
        ],
    ),
];

/// Business units with their share of customers and their products.
pub(crate) const UNITS: [(&str, f64, &[&str]); 3] = [
    (
        "Personal Motor",
        0.45,
        &[
            "Motor Essentials",
            "Motor Plus",
            "Young Driver",
            "Classic Car",
        ],
    ),
    (
        "Home",
        0.38,
        &["Home Standard", "Home Plus", "Renters", "Landlord"],
    ),
    (
        "Small Business",
        0.17,
        &[
            "Business Owner Policy",
            "Commercial Auto",
            "Shop and Office",
        ],
    ),
];

/// Regions with their share of customers.
pub(crate) const REGIONS: [(&str, f64); 4] = [
    ("Northeast", 0.28),
    ("Midwest", 0.24),
    ("South", 0.30),
    ("West", 0.18),
];

/// Customer segments: personal units have Standard and Premium customers, Small Business has SMB.
pub(crate) const SEGMENTS: [&str; 3] = ["Standard", "Premium", "SMB"];

/// First names of customers and agents.
pub(crate) const FIRST_NAMES: [&str; 48] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Priya",
    "Emily",
    "Kevin",
    "Donna",
    "Brian",
    "Michelle",
    "Wei",
    "Carol",
    "Jamal",
    "Amanda",
    "Luis",
    "Melissa",
    "Omar",
    "Deborah",
    "Ryan",
    "Stephanie",
    "Hiroshi",
    "Rebecca",
    "Ahmed",
    "Laura",
];

/// Last names of customers.
pub(crate) const LAST_NAMES: [&str; 48] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Okafor",
];

/// Contact-centre and field agents, named in call notes and attributes.
pub(crate) const AGENTS: [&str; 16] = [
    "Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Devon",
    "Harper", "Rowan", "Sam", "Kendall", "Reese", "Skyler",
];

/// A checked slug.
pub(crate) fn slug(raw: &str) -> Result<Slug, DomainError> {
    Slug::parse("demo id", raw)
}

/// A checked label.
pub(crate) fn label(raw: &str) -> Result<Label, DomainError> {
    Label::parse("demo label", raw)
}

/// Builds and validates the journey with its departments.
pub(crate) fn journey() -> Result<Journey, DomainError> {
    let departments = DEPARTMENTS
        .iter()
        .map(|(id, name)| {
            Ok(Department {
                id: slug(id)?,
                name: label(name)?,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    let stages = STAGES
        .iter()
        .map(|(id, name, touchpoints)| {
            let touchpoints = touchpoints
                .iter()
                .map(|(id, name, moment_of_truth, departments)| {
                    Ok(Touchpoint {
                        id: slug(id)?,
                        name: label(name)?,
                        moment_of_truth: *moment_of_truth,
                        departments: departments
                            .iter()
                            .map(|d| slug(d))
                            .collect::<Result<_, _>>()?,
                    })
                })
                .collect::<Result<Vec<_>, DomainError>>()?;
            Ok(Stage {
                id: slug(id)?,
                name: label(name)?,
                touchpoints,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Journey::new(stages, departments)
}
