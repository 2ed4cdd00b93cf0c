//! Contact credentials: emails compared case-insensitively after trimming, phone numbers
//! validated for the district's default region and stored in E.164 (R3.1).

use super::{Error, Result, phone_types};
use phonenumber::{Type, country};

/// Emails compare case-insensitively after trimming (R1.4, R3.1).
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks the shape of an email address and returns it trimmed. Empty stays empty.
pub fn parse_email(field: &str, email: &str) -> Result<String> {
    let email = email.trim();
    if email.is_empty() {
        return Ok(String::new());
    }
    let well_formed = email.len() <= 320
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if well_formed {
        Ok(email.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!("`{email}` is not a valid email address"),
        ))
    }
}

/// What a phone number must be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    /// Receives SMS: classified mobile or fixed-line-or-mobile (R3.1).
    Sms,
    /// Any valid number.
    Voice,
}

/// Parses a phone number with the district's default region and returns it in E.164.
/// Empty stays empty.
pub fn parse_phone(field: &str, number: &str, region: &str, kind: PhoneKind) -> Result<String> {
    let number = number.trim();
    if number.is_empty() {
        return Ok(String::new());
    }
    let region_id: country::Id = region
        .parse()
        .map_err(|_| Error::invalid(field, format!("unknown phone region `{region}`")))?;
    let parsed = phonenumber::parse(Some(region_id), number)
        .map_err(|e| Error::invalid(field, format!("`{number}` is not a phone number ({e})")))?;
    let found = phone_types::number_type(&parsed);
    // The library's validity is the number's type not being unknown. Only a national
    // number with leading zeros (Italy) is left to the library in full: it reads those
    // zeros for validity and not for the type.
    let valid = match parsed.national().zeros() {
        0 => found != Type::Unknown,
        _ => parsed.is_valid(),
    };
    if !valid {
        return Err(Error::invalid(
            field,
            format!("`{number}` is not a valid phone number for region {region}"),
        ));
    }
    if kind == PhoneKind::Sms && !matches!(found, Type::Mobile | Type::FixedLineOrMobile) {
        return Err(Error::invalid(
            field,
            format!("`{number}` cannot receive SMS (not a mobile number)"),
        ));
    }
    // E.164 is the country code and the national number, digits only. The library's own
    // E.164 formatter also matches the region's display patterns, which E.164 never uses.
    Ok(format!("+{}{}", parsed.code().value(), parsed.national()))
}

/// Reads the phone library's metadata on a thread of its own. The library parses it on
/// first use, about a tenth of a second: without this, the first run after a start pays
/// it while it plans its accounts, which a first sync's apply may be waiting for.
pub fn load_phone_metadata() {
    std::thread::spawn(|| {
        let _ = &*phonenumber::metadata::DATABASE;
    });
}

/// Whether `region` is an ISO 3166 region the phone library knows.
pub fn is_phone_region(region: &str) -> bool {
    region.parse::<country::Id>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::metadata::DATABASE;

    #[test]
    fn emails_are_trimmed_and_checked() {
        assert_eq!(
            parse_email("email", "  Ann@Example.org ").unwrap(),
            "Ann@Example.org"
        );
        assert_eq!(parse_email("email", "").unwrap(), "");
        for bad in [
            "ann",
            "ann@",
            "@x.org",
            "a b@x.org",
            "ann@x",
            "a@@x.org",
            "a@x..org",
        ] {
            let err = parse_email("email", bad).unwrap_err().to_string();
            assert!(err.starts_with("email: "), "{bad}: {err}");
        }
        assert_eq!(normalize_email(" Ann@Example.ORG "), "ann@example.org");
    }

    #[test]
    fn phones_become_e164_with_the_default_region() {
        assert_eq!(
            parse_phone("sms_number", "(603) 555-0123", "US", PhoneKind::Sms).unwrap(),
            "+16035550123"
        );
        assert_eq!(
            parse_phone("sms_number", "+44 7911 123456", "US", PhoneKind::Sms).unwrap(),
            "+447911123456"
        );
        assert!(parse_phone("sms_number", "12", "US", PhoneKind::Sms).is_err());
        assert!(parse_phone("sms_number", "not a phone", "US", PhoneKind::Sms).is_err());
        // A UK landline is a valid number but receives no SMS.
        assert!(parse_phone("sms_number", "+44 20 7946 0958", "US", PhoneKind::Sms).is_err());
        assert!(parse_phone("home_phone", "+44 20 7946 0958", "US", PhoneKind::Voice).is_ok());
    }

    /// The library's own path, as `parse_phone` read numbers before its shortcuts.
    fn by_the_library(number: &str, region: &str, kind: PhoneKind) -> Option<String> {
        let parsed = phonenumber::parse(Some(region.parse().ok()?), number.trim()).ok()?;
        if !parsed.is_valid() {
            return None;
        }
        if kind == PhoneKind::Sms
            && !matches!(
                parsed.number_type(&DATABASE),
                Type::Mobile | Type::FixedLineOrMobile
            )
        {
            return None;
        }
        Some(parsed.format().mode(phonenumber::Mode::E164).to_string())
    }

    #[test]
    fn r3_1_valid_numbers_read_as_the_library_reads_them() {
        let numbers = [
            ("(603) 555-0123", "US"),
            ("415 555 2671", "US"),
            ("+39 06 6982 1234", "US"),
            ("06 6982 1234", "IT"),
            ("312 345 6789", "IT"),
            ("07911 123456", "GB"),
            ("020 7946 0958", "GB"),
            ("030 12345678", "DE"),
            ("0151 23456789", "DE"),
            ("06 12 34 56 78", "FR"),
            ("+225 01 23 45 67 89", "US"),
            ("0549 123456", "SM"),
        ];
        let mut valid = 0;
        for (number, region) in numbers {
            for kind in [PhoneKind::Sms, PhoneKind::Voice] {
                let ours = parse_phone("phone", number, region, kind).ok();
                assert_eq!(
                    ours,
                    by_the_library(number, region, kind),
                    "{number} in {region}"
                );
                valid += usize::from(ours.is_some());
            }
        }
        assert!(valid >= 16, "only {valid} of the numbers read as valid");
    }

    proptest::proptest! {
        // R3.1: the number type asked once and E.164 written by hand give what the
        // library's validity check, type and formatter give, in regions with and without
        // national leading zeros (Italy keeps its zero).
        #[test]
        fn r3_1_phones_read_as_the_library_reads_them(
            region in proptest::sample::select(vec!["US", "GB", "IT", "DE", "FR", "BR", "IN", "AU", "SM", "CI"]),
            prefix in proptest::sample::select(vec!["", "0", "00", "+1 ", "+39 0", "+39 3", "+44 7", "+225 0", "(603) "]),
            digits in "[0-9]{3,12}",
            sms in proptest::bool::ANY,
        ) {
            let kind = if sms { PhoneKind::Sms } else { PhoneKind::Voice };
            let number = format!("{prefix}{digits}");
            proptest::prop_assert_eq!(
                parse_phone("sms_number", &number, region, kind).ok(),
                by_the_library(&number, region, kind),
                "{} in {}", number, region
            );
        }
    }
}
