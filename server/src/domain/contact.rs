//! Contact credentials: emails compared case-insensitively after trimming, phone numbers
//! validated for the district's default region and stored in E.164 (R3.1).

use super::{Error, Result};
use phonenumber::{Mode, Type, country};

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
    if !parsed.is_valid() {
        return Err(Error::invalid(
            field,
            format!("`{number}` is not a valid phone number for region {region}"),
        ));
    }
    if kind == PhoneKind::Sms
        && !matches!(
            parsed.number_type(&phonenumber::metadata::DATABASE),
            Type::Mobile | Type::FixedLineOrMobile
        )
    {
        return Err(Error::invalid(
            field,
            format!("`{number}` cannot receive SMS (not a mobile number)"),
        ));
    }
    Ok(parsed.format().mode(Mode::E164).to_string())
}

/// Whether `region` is an ISO 3166 region the phone library knows.
pub fn is_phone_region(region: &str) -> bool {
    region.parse::<country::Id>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
