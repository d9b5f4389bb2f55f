//! What every signed-in page shares: who is signed in, the sign-out form's token, and the
//! navigation with the current section marked.

use trove_workflow::model::Role;

use crate::session::SignedIn;

/// A section of the navigation: (path, label, admins only).
type Section = (&'static str, &'static str, bool);

/// The navigation: groups of sections. The bar shows the groups; the current group's sections
/// show on a second row, so the bar stays one line on a laptop however many pages Trove grows.
const GROUPS: &[(&str, &[Section])] = &[
    ("Room", &[("/", "Room", false)]),
    (
        "Issues",
        &[
            ("/ranking", "Chronic issues", false),
            ("/cases", "Follow-ups", false),
            ("/departments", "Departments", false),
            ("/lessons", "Lessons", false),
        ],
    ),
    (
        "Feedback",
        &[
            ("/items", "Feedback", false),
            ("/taxonomy", "Themes", false),
            ("/label", "Labelling", false),
            ("/moments", "Repeat contacts", false),
            ("/artifacts", "Artifacts", false),
            ("/imports", "Imports", false),
        ],
    ),
    (
        "Review",
        &[
            ("/reports", "Reports", false),
            ("/samples", "Samples", false),
            ("/assess", "Assessment", false),
        ],
    ),
    (
        "Settings",
        &[
            // Everyone manages their own API tokens there; admins manage people too.
            ("/people", "People", false),
            ("/forms", "Forms", true),
            ("/webhooks", "Webhooks", true),
        ],
    ),
];

/// One link of the navigation.
pub(crate) struct NavLink {
    pub(crate) path: &'static str,
    pub(crate) label: &'static str,
    /// Whether it is the page's own section (`aria-current="page"`), or for a group, whether
    /// the page is one of its sections.
    pub(crate) current: bool,
}

/// A group of the navigation: its link (to its first section) and its sections.
pub(crate) struct NavGroup {
    pub(crate) link: NavLink,
    pub(crate) sections: Vec<NavLink>,
}

/// The groups `admin` (or not) may see, with `section` marked.
fn navigation(admin: bool, section: &str) -> Vec<NavGroup> {
    GROUPS
        .iter()
        .filter_map(|&(label, sections)| {
            let sections: Vec<NavLink> = sections
                .iter()
                .filter(|(_, _, admins_only)| admin || !admins_only)
                .map(|&(path, label, _)| NavLink {
                    path,
                    label,
                    current: path == section,
                })
                .collect();
            let first = sections.first()?;
            Some(NavGroup {
                link: NavLink {
                    path: first.path,
                    label,
                    current: sections.iter().any(|link| link.current),
                },
                sections,
            })
        })
        .collect()
}

/// The header of a signed-in page. Templates that extend `page.html` hold it as `chrome`.
pub(crate) struct Chrome {
    pub(crate) user_name: String,
    pub(crate) role: &'static str,
    /// The session's form token: every form of the page carries it as `csrf`.
    pub(crate) form_token: String,
    /// Whether the person may make any change (every role but viewer): a viewer's pages show
    /// no edit controls. Which change a role may make is decided by the workflow's rules on
    /// every post, and a page may hide a control the rules would refuse.
    #[allow(
        dead_code,
        reason = "read by the templates of pages with edit controls"
    )]
    pub(crate) can_edit: bool,
    #[allow(dead_code, reason = "read by the templates of admins' controls")]
    pub(crate) admin: bool,
    pub(crate) nav: Vec<NavGroup>,
}

impl Chrome {
    /// The chrome of a page of `section` (one of the navigation's paths) for `signed_in`.
    pub(crate) fn new(signed_in: &SignedIn, section: &str) -> Self {
        let role = signed_in.user.role;
        let admin = role == Role::Admin;
        Self {
            user_name: signed_in.user.name.clone(),
            role: role.as_str(),
            form_token: signed_in.form_token.clone(),
            can_edit: role != Role::Viewer,
            admin,
            nav: navigation(admin, section),
        }
    }
}
