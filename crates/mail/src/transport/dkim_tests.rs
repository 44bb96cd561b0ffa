//! The parts of DKIM signing that need no verifier: which key applies, which
//! inputs are refused. Verification against the printed record is in `tests/it/dkim.rs`.

use super::*;

#[test]
fn the_from_domain_is_read_from_any_address_form() {
    assert_eq!(
        from_domain("Sealpost <Sealpost@Mail.Example.COM>").as_deref(),
        Some("mail.example.com")
    );
    assert_eq!(from_domain("a@b.example").as_deref(), Some("b.example"));
    assert_eq!(
        from_domain("\"x@evil.example\" <a@good.example>").as_deref(),
        Some("good.example")
    );
    assert_eq!(from_domain("nobody"), None);
}

#[test]
fn names_that_are_not_dns_names_are_refused() {
    assert!(generate("exa mple.com", "s1", Algorithm::Ed25519).is_err());
    assert!(generate("example.com", "s1; p=", Algorithm::Ed25519).is_err());
    assert!(generate("-bad.example", "s1", Algorithm::Ed25519).is_err());
}

#[test]
fn a_file_that_is_not_a_key_says_so() {
    let err = DomainSigner::from_pem("example.com", "s1", b"hello")
        .err()
        .map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("not an RSA or Ed25519 private key")));
}

#[test]
fn only_the_configured_domain_is_signed() -> Result<(), Box<dyn std::error::Error>> {
    let key = generate("mail.example.com", "s1", Algorithm::Ed25519)?;
    let keys = vec![DomainSigner::from_pem(
        "Mail.Example.com",
        "s1",
        key.private_pem.as_bytes(),
    )?];
    let raw = b"From: Sealpost <sealpost@mail.example.com>\r\nTo: b@c.example\r\nSubject: x\r\n\r\nbody\r\n";
    let signed = sign(&keys, raw)?.ok_or("not signed")?;
    let text = String::from_utf8(signed)?;
    assert!(text.starts_with("DKIM-Signature: "));
    assert!(text.contains("d=mail.example.com") && text.contains("s=s1"));
    assert!(text.ends_with(std::str::from_utf8(raw)?));
    let other = b"From: sealpost@other.example\r\nSubject: x\r\n\r\nbody\r\n";
    assert_eq!(sign(&keys, other)?, None);
    Ok(())
}
