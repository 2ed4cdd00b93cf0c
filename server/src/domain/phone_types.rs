//! A phone number's type (mobile, fixed line, toll free, ...), worked out as the phone
//! library works it out, from the library's own metadata, with each pattern compiled once
//! per thread.
//!
//! The library keeps its patterns in one shared cache and looks each one up by its text,
//! under a lock, every time it matches it: the text is hashed twice per match. A region
//! like the US, whose fixed-line and mobile patterns list every area code, has patterns
//! of over a kilobyte, and that hashing was a fifth of a first sync's planning. Here a
//! region's patterns are compiled the first time a thread meets the region, and from then
//! on only matched. The steps and their order are the library's (`validator::source_for`
//! and `validator::number_type`); the tests hold the two to the same answers.

use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use phonenumber::{PhoneNumber, Type, country};
use regex::{Regex, RegexBuilder};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The type of `parsed`, as `parsed.number_type(&DATABASE)` gives it. The metadata that
/// applies is the country code's one region or, among the regions that share a code (the
/// +1 of North America), the first whose leading digits the number starts with or, for a
/// region without any, that knows the number; the type that told that region apart is
/// the number's, not worked out twice.
pub(super) fn number_type(parsed: &PhoneNumber) -> Type {
    let code = parsed.code().value();
    let national = parsed.national().value().to_string();
    let Some(regions) = DATABASE.region(&code) else {
        return Type::Unknown;
    };
    if let [only] = regions.as_slice() {
        let meta = if *only == "001" {
            DATABASE.by_code(&code).and_then(|m| m.into_iter().next())
        } else {
            only.parse::<country::Id>()
                .ok()
                .and_then(|id| DATABASE.by_id(id.as_ref()))
        };
        return meta.map_or(Type::Unknown, |meta| region(meta).number_type(&national));
    }
    regions
        .into_iter()
        .filter_map(|id| DATABASE.by_id(id))
        .find_map(|meta| {
            let compiled = region(meta);
            match &compiled.leading_digits {
                Some(leading) => {
                    starts_with(leading, &national).then(|| compiled.number_type(&national))
                }
                None => Some(compiled.number_type(&national)).filter(|t| *t != Type::Unknown),
            }
        })
        .unwrap_or(Type::Unknown)
}

/// One region's patterns, compiled.
struct Region {
    leading_digits: Option<Regex>,
    general: Pattern,
    /// The types told apart before fixed line and mobile, in the library's order: the
    /// first whose pattern matches is the number's type.
    special: Vec<(Type, Pattern)>,
    fixed_line: Option<Pattern>,
    mobile: Option<Pattern>,
    /// Whether the region's fixed-line and mobile patterns are the same text, so that a
    /// fixed-line number may be either (the US).
    either: bool,
}

impl Region {
    fn of(meta: &Metadata) -> Region {
        let d = meta.descriptors();
        let special = [
            (Type::PremiumRate, d.premium_rate()),
            (Type::TollFree, d.toll_free()),
            (Type::SharedCost, d.shared_cost()),
            (Type::Voip, d.voip()),
            (Type::PersonalNumber, d.personal_number()),
            (Type::Pager, d.pager()),
            (Type::Uan, d.uan()),
            (Type::Voicemail, d.voicemail()),
        ];
        Region {
            leading_digits: meta.leading_digits().map(|r| compile(r.as_str())),
            general: Pattern::of(d.general()),
            special: special
                .into_iter()
                .filter_map(|(kind, d)| Some((kind, Pattern::of(d?))))
                .collect(),
            fixed_line: d.fixed_line().map(Pattern::of),
            mobile: d.mobile().map(Pattern::of),
            either: pattern_text(d.fixed_line()) == pattern_text(d.mobile()),
        }
    }

    fn number_type(&self, national: &str) -> Type {
        if !self.general.matches(national) {
            return Type::Unknown;
        }
        if let Some((kind, _)) = self.special.iter().find(|(_, p)| p.matches(national)) {
            return *kind;
        }
        let mobile = || self.mobile.as_ref().is_some_and(|p| p.matches(national));
        match &self.fixed_line {
            Some(fixed) if fixed.matches(national) => {
                if self.either || mobile() {
                    Type::FixedLineOrMobile
                } else {
                    Type::FixedLine
                }
            }
            _ if mobile() => Type::Mobile,
            _ => Type::Unknown,
        }
    }
}

/// A descriptor's national-number pattern and possible lengths, matched as the library
/// matches them (`Descriptor::is_match`).
struct Pattern {
    regex: Regex,
    lengths: Vec<u16>,
}

impl Pattern {
    fn of(d: &Descriptor) -> Pattern {
        Pattern {
            regex: compile(d.national_number().as_str()),
            lengths: d.possible_length().to_vec(),
        }
    }

    fn matches(&self, national: &str) -> bool {
        let length = u16::try_from(national.len()).unwrap_or(u16::MAX);
        (self.lengths.is_empty() || self.lengths.contains(&length))
            && starts_with(&self.regex, national)
    }
}

fn pattern_text(d: Option<&Descriptor>) -> Option<&str> {
    d.map(|d| d.national_number().as_str())
}

/// Whether the pattern's leftmost match starts the text, the library's test.
fn starts_with(regex: &Regex, text: &str) -> bool {
    regex.find(text).is_some_and(|m| m.start() == 0)
}

/// Compiles a pattern of the metadata with the options the library compiles it with.
fn compile(source: &str) -> Regex {
    RegexBuilder::new(source)
        .ignore_whitespace(true)
        .build()
        // The library checked every pattern when it loaded its metadata, and unwraps the
        // same compilation when it first matches one.
        .expect("the phone library's metadata holds valid patterns")
}

thread_local! {
    /// The regions this thread has met, by their metadata's address: the metadata is
    /// the library's static database, so an address names one region for good.
    static REGIONS: RefCell<HashMap<usize, Rc<Region>>> = RefCell::new(HashMap::new());
}

/// `meta`'s patterns, compiled on this thread's first use of them.
fn region(meta: &'static Metadata) -> Rc<Region> {
    let key = std::ptr::from_ref(meta) as usize;
    REGIONS.with(|regions| {
        regions
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| Rc::new(Region::of(meta)))
            .clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example number of every region and type in the library's metadata gets the
    /// type the library gives it, read in its own region and from abroad.
    #[test]
    fn r3_1_every_example_number_has_the_librarys_type() {
        let mut checked = 0;
        for meta in DATABASE.iter() {
            let d = meta.descriptors();
            let examples = [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ]
            .into_iter()
            .flatten()
            .filter_map(Descriptor::example);
            for example in examples {
                let international = format!("+{} {example}", meta.country_code());
                let home = meta.id().parse::<country::Id>().ok();
                for (region, number) in [(home, example), (None, international.as_str())] {
                    let Ok(parsed) = phonenumber::parse(region, number) else {
                        continue;
                    };
                    assert_eq!(
                        number_type(&parsed),
                        parsed.number_type(&DATABASE),
                        "{number} in {}",
                        meta.id()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 2000, "only {checked} example numbers were read");
    }
}
