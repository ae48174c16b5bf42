//! Consent to optional processing (GDPR Art. 7): what a person agreed to or withdrew, under
//! which version of the notice, recorded how and by whom. Records are only ever appended; the
//! latest one per subject and purpose is the standing decision.

/// An optional processing that needs the person's consent. Everything else Tollgate does rests
/// on the contract, a legal obligation or legitimate interests (`inventory::LegalBasis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentPurpose {
    /// Traces of the person's LLM calls sent to Langfuse (never prompts or completions).
    LangfuseExport,
    /// Keeping prompts in memory for debugging (never stored).
    PromptCapture,
    /// Cookies that measure how the dashboard is used.
    AnalyticsCookies,
}

impl ConsentPurpose {
    pub const ALL: [Self; 3] = [
        Self::LangfuseExport,
        Self::PromptCapture,
        Self::AnalyticsCookies,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LangfuseExport => "langfuse_export",
            Self::PromptCapture => "prompt_capture",
            Self::AnalyticsCookies => "analytics_cookies",
        }
    }

    /// `None` for anything but the three purpose names.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|purpose| purpose.as_str() == text)
    }
}

/// What the person decided. A first "no" is recorded as `Withdrawn` too: no consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentDecision {
    Granted,
    Withdrawn,
}

impl ConsentDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Granted, Self::Withdrawn]
            .into_iter()
            .find(|decision| decision.as_str() == text)
    }
}

/// How the decision reached Tollgate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentMethod {
    /// The dashboard's banner (or the footer's "Privacy choices").
    Banner,
    /// `POST /api/privacy/consents[/withdraw]`: an operator recording a decision collected
    /// elsewhere (their own product's settings page).
    Api,
}

impl ConsentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Banner => "banner",
            Self::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Banner, Self::Api]
            .into_iter()
            .find(|method| method.as_str() == text)
    }
}

/// Whose personal data a record or request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    /// A person who signs in to Tollgate (staff or a customer's member): identity subject.
    Member,
    /// A customer of the operator: the customer's id.
    Customer,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Customer => "customer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Member, Self::Customer]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// A data subject as written on the wire and in the tables: `member:<subject>` or
/// `customer:<customer id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
}

/// The longest subject id kept (identity subjects are UUIDs or e-mail addresses).
pub const SUBJECT_ID_MAX: usize = 512;

impl Subject {
    pub fn member(id: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::Member,
            id: id.into(),
        }
    }

    /// `None` unless `kind:id` with a known kind and an id of 1 to [`SUBJECT_ID_MAX`]
    /// characters without control characters.
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, id) = text.split_once(':')?;
        let kind = SubjectKind::parse(kind)?;
        let length = id.chars().count();
        if length == 0 || length > SUBJECT_ID_MAX || id.chars().any(char::is_control) {
            return None;
        }
        Some(Self {
            kind,
            id: id.to_owned(),
        })
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id)
    }
}

/// Where a subject stands for each purpose asked about: the latest decision of each, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Standing {
    /// (purpose, decision, notice version it was given under).
    pub decisions: Vec<(ConsentPurpose, ConsentDecision, String)>,
}

impl Standing {
    /// Whether every purpose in `asked` has a decision under `notice_version`: the banner is
    /// answered. A new notice version asks again (consent must be informed by the notice in
    /// force).
    pub fn answers(&self, asked: &[ConsentPurpose], notice_version: &str) -> bool {
        asked.iter().all(|purpose| {
            self.decisions
                .iter()
                .any(|(p, _, version)| p == purpose && version == notice_version)
        })
    }

    /// Whether `purpose` is granted now, under whatever notice version.
    pub fn granted(&self, purpose: ConsentPurpose) -> bool {
        self.decisions
            .iter()
            .any(|(p, decision, _)| *p == purpose && *decision == ConsentDecision::Granted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_read_back_as_written() {
        let member = Subject::parse("member:olivia@example.com").unwrap();
        assert_eq!(member, Subject::member("olivia@example.com"));
        assert_eq!(member.to_string(), "member:olivia@example.com");
        let customer = Subject::parse("customer:cus:42").unwrap();
        assert_eq!(customer.kind, SubjectKind::Customer);
        assert_eq!(customer.id, "cus:42");
        for refused in ["olivia", "user:olivia", "member:", "customer:a\nb"] {
            assert_eq!(Subject::parse(refused), None, "{refused}");
        }
        assert!(Subject::parse(&format!("member:{}", "x".repeat(SUBJECT_ID_MAX + 1))).is_none());
    }

    #[test]
    fn purposes_decisions_and_methods_have_stable_names() {
        for purpose in ConsentPurpose::ALL {
            assert_eq!(ConsentPurpose::parse(purpose.as_str()), Some(purpose));
        }
        assert_eq!(ConsentPurpose::parse("marketing"), None);
        assert_eq!(
            ConsentDecision::parse("granted"),
            Some(ConsentDecision::Granted)
        );
        assert_eq!(ConsentMethod::parse("api"), Some(ConsentMethod::Api));
    }

    #[test]
    fn a_banner_is_answered_only_under_the_notice_in_force() {
        let standing = Standing {
            decisions: vec![(
                ConsentPurpose::LangfuseExport,
                ConsentDecision::Withdrawn,
                "2026-12-07".to_owned(),
            )],
        };
        let asked = [ConsentPurpose::LangfuseExport];
        assert!(standing.answers(&asked, "2026-12-07"));
        assert!(!standing.answers(&asked, "2027-01-01"));
        assert!(!standing.answers(&[ConsentPurpose::PromptCapture], "2026-12-07"));
        assert!(
            standing.answers(&[], "2027-01-01"),
            "nothing asked, nothing to answer"
        );
        assert!(!standing.granted(ConsentPurpose::LangfuseExport));
    }
}
