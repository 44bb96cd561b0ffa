//! An account's branding (the Images tab): its display name, brand colour and
//! logo, so a recipient can tell a genuine envelope from a phishing one.
//!
//! Everything an administrator sends is parsed here, at the boundary, into a type
//! that is known to be safe to show:
//! - [`DisplayName`]: trimmed, at most [`DisplayName::MAX_CHARS`] characters, no
//!   control characters.
//! - [`BrandColour`]: `#rrggbb`, refused when white text on it fails WCAG AA
//!   (contrast ratio below 4.5:1), the measured ratio in the reason.
//! - [`Logo`]: an upload whose type is detected from its bytes (never its name or
//!   declared type); PNG, JPEG or WebP only, SVG refused by name; at most
//!   [`Logo::MAX_UPLOAD_BYTES`], [`Logo::MAX_SIDE`] pixels a side and
//!   [`Logo::DECODER_MEMORY`] of decoder memory, so decompression bombs are
//!   refused before any large allocation; decoded and re-encoded as PNG, scaled
//!   into a [`Logo::BOX_WIDTH`]×[`Logo::BOX_HEIGHT`] box. Only the re-encoded
//!   pixels are kept: metadata and whatever was appended to the file are gone.
//!
//! Where it is kept: the display name and colour are two `account_settings!`
//! fields (short text, read with the other settings). The logo, a PNG of at most a
//! few hundred KB, has a table of its own (`account_logos`, migration 0012,
//! behind [`ports::BrandingStore`](crate::ports::BrandingStore)) rather than the
//! blob store: it is written with its audit event in one transaction, read in one
//! query when a notification is rendered (inside the sending transaction's
//! preparation, where a blob read would be another failure mode), and deleted
//! with its account by a foreign key. It is not a setting because settings are
//! read with every draft and audited with their value.

use std::io::Cursor;

use base64::Engine as _;
use image::{ImageFormat, ImageReader, Limits};

/// Why an administrator's branding input was refused; each has a localized
/// message (its [`BrandingError::message_id`]), some with an argument.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrandingError {
    #[error("the display name is too long")]
    NameTooLong,
    #[error("the display name contains control characters")]
    NameControlCharacters,
    #[error("the colour is not #rrggbb")]
    ColourMalformed,
    /// White text on the colour is below 4.5:1 (the measured ratio).
    #[error("white text on the colour has contrast {0:.2}:1")]
    ColourContrast(f64),
    #[error("the file is empty")]
    LogoEmpty,
    #[error("the file is larger than the limit")]
    LogoTooLarge,
    #[error("SVG is refused")]
    LogoSvg,
    #[error("the file is not a PNG, JPEG or WebP image")]
    LogoUnsupported,
    #[error("the image is too large in pixels")]
    LogoTooManyPixels,
    #[error("the image is damaged or truncated")]
    LogoDamaged,
}

impl BrandingError {
    /// The Fluent message id that explains this refusal.
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::NameTooLong => "branding-error-name-too-long",
            Self::NameControlCharacters => "branding-error-name-control",
            Self::ColourMalformed => "branding-error-colour-malformed",
            Self::ColourContrast(_) => "branding-error-colour-contrast",
            Self::LogoEmpty => "branding-error-logo-empty",
            Self::LogoTooLarge => "branding-error-logo-too-large",
            Self::LogoSvg => "branding-error-logo-svg",
            Self::LogoUnsupported => "branding-error-logo-unsupported",
            Self::LogoTooManyPixels => "branding-error-logo-pixels",
            Self::LogoDamaged => "branding-error-logo-damaged",
        }
    }

    /// The form field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NameTooLong | Self::NameControlCharacters => "display_name",
            Self::ColourMalformed | Self::ColourContrast(_) => "colour",
            _ => "logo",
        }
    }

    /// The measured contrast ratio, two decimals rounded down (so 4.497 never
    /// reads as the 4.50 it failed), for the message's `ratio` argument.
    pub fn ratio_text(&self) -> Option<String> {
        match self {
            Self::ColourContrast(ratio) => Some(format!("{:.2}", (ratio * 100.0).floor() / 100.0)),
            _ => None,
        }
    }

    /// Every variant, so a test can prove each message exists in every language.
    pub const ALL: &'static [BrandingError] = &[
        Self::NameTooLong,
        Self::NameControlCharacters,
        Self::ColourMalformed,
        Self::ColourContrast(1.0),
        Self::LogoEmpty,
        Self::LogoTooLarge,
        Self::LogoSvg,
        Self::LogoUnsupported,
        Self::LogoTooManyPixels,
        Self::LogoDamaged,
    ];
}

/// The organisation's name as recipients see it above the envelope and pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 80;

    /// The trimmed name; `Ok(None)` when nothing is left (the default applies).
    pub fn parse(raw: &str) -> Result<Option<Self>, BrandingError> {
        let name = raw.trim();
        if name.chars().any(char::is_control) {
            return Err(BrandingError::NameControlCharacters);
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(BrandingError::NameTooLong);
        }
        Ok((!name.is_empty()).then(|| Self(name.to_owned())))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A brand colour `#rrggbb` on which white text is readable (WCAG AA, 4.5:1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrandColour([u8; 3]);

impl BrandColour {
    /// The WCAG AA minimum for normal text.
    pub const MIN_CONTRAST: f64 = 4.5;

    /// `#rrggbb` (either case, surrounding spaces ignored); `Ok(None)` when empty.
    pub fn parse(raw: &str) -> Result<Option<Self>, BrandingError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let colour = Self::parse_hex(raw).ok_or(BrandingError::ColourMalformed)?;
        let ratio = colour.contrast_with_white();
        if ratio < Self::MIN_CONTRAST {
            return Err(BrandingError::ColourContrast(ratio));
        }
        Ok(Some(colour))
    }

    fn parse_hex(raw: &str) -> Option<Self> {
        let hex = raw.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        Some(Self([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// WCAG 2 contrast ratio of white text on this colour: 1 to 21.
    pub fn contrast_with_white(&self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0;
        let luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
        1.05 / (luminance + 0.05)
    }

    /// A one-pixel PNG of the colour as a `data:` URI: pages whose CSP allows no
    /// inline style show the colour as an image stretched behind white text.
    pub fn swatch_data_uri(&self) -> String {
        let pixel = image::RgbImage::from_pixel(1, 1, image::Rgb(self.0));
        let mut png = Vec::new();
        if pixel.write_to(&mut Cursor::new(&mut png), ImageFormat::Png).is_err() {
            return String::new();
        }
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&png)
        )
    }

    /// `#rrggbb`, lower case: safe inside a `style` attribute.
    pub fn css(&self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// A logo, re-encoded as PNG by [`Logo::from_upload`] (or read back as stored).
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    png: Vec<u8>,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logo").field("png_bytes", &self.png.len()).finish()
    }
}

impl Logo {
    /// Largest upload accepted, before decoding.
    pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
    /// Largest width or height decoded, in pixels.
    pub const MAX_SIDE: u32 = 4096;
    /// Most memory a decoder may allocate.
    pub const DECODER_MEMORY: u64 = 64 * 1024 * 1024;
    /// The box a logo is scaled down into (never up).
    pub const BOX_WIDTH: u32 = 600;
    /// See [`Logo::BOX_WIDTH`].
    pub const BOX_HEIGHT: u32 = 200;

    /// Detects the type from the bytes, decodes within the limits and re-encodes
    /// as PNG, scaled into the box.
    pub fn from_upload(bytes: &[u8]) -> Result<Self, BrandingError> {
        if bytes.is_empty() {
            return Err(BrandingError::LogoEmpty);
        }
        if bytes.len() > Self::MAX_UPLOAD_BYTES {
            return Err(BrandingError::LogoTooLarge);
        }
        let format = match image::guess_format(bytes) {
            Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => format,
            _ if looks_like_svg(bytes) => return Err(BrandingError::LogoSvg),
            _ => return Err(BrandingError::LogoUnsupported),
        };
        let mut limits = Limits::default();
        limits.max_image_width = Some(Self::MAX_SIDE);
        limits.max_image_height = Some(Self::MAX_SIDE);
        limits.max_alloc = Some(Self::DECODER_MEMORY);
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        reader.limits(limits);
        let decoded = reader.decode().map_err(|error| match error {
            image::ImageError::Limits(_) => BrandingError::LogoTooManyPixels,
            _ => BrandingError::LogoDamaged,
        })?;
        if decoded.width() == 0 || decoded.height() == 0 {
            return Err(BrandingError::LogoDamaged);
        }
        let fitted = if decoded.width() > Self::BOX_WIDTH || decoded.height() > Self::BOX_HEIGHT {
            decoded.resize(Self::BOX_WIDTH, Self::BOX_HEIGHT, image::imageops::FilterType::Triangle)
        } else {
            decoded
        };
        let mut png = Vec::new();
        fitted
            .to_rgba8()
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|_| BrandingError::LogoDamaged)?;
        Ok(Self { png })
    }

    /// A logo as stored (written by [`Logo::from_upload`]).
    pub fn from_stored(png: Vec<u8>) -> Self {
        Self { png }
    }

    /// The PNG bytes.
    pub fn png(&self) -> &[u8] {
        &self.png
    }

    /// `data:image/png;base64,…`: the logo inline, so an envelope file or page
    /// that shows it requests nothing.
    pub fn data_uri(&self) -> String {
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&self.png)
        )
    }
}

/// Whether the start of `bytes` reads like SVG (XML text naming an `svg` element),
/// to name the refusal; it is refused either way.
fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    text.trim_start_matches('\u{feff}').trim_start().starts_with('<') && text.contains("<svg")
}

/// An account's branding as recipients meet it. Every part is optional: what is
/// unset shows Sealpost's own look.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    pub display_name: Option<DisplayName>,
    pub colour: Option<BrandColour>,
    pub logo: Option<Logo>,
}

impl Branding {
    /// Whether anything is set (otherwise recipients see the default look).
    pub fn is_set(&self) -> bool {
        self.display_name.is_some() || self.colour.is_some() || self.logo.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbaImage::from_pixel(width, height, image::Rgba([10, 60, 120, 255]));
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap_or_default();
        out
    }

    #[test]
    fn colours_need_white_text_to_pass_wcag_aa() {
        assert_eq!(
            BrandColour::parse(" #1A4D8F ").ok().flatten().map(|c| c.css()),
            Some("#1a4d8f".to_owned())
        );
        assert_eq!(BrandColour::parse(""), Ok(None));
        assert_eq!(BrandColour::parse("1a4d8f"), Err(BrandingError::ColourMalformed));
        assert_eq!(BrandColour::parse("#1a4d8"), Err(BrandingError::ColourMalformed));
        assert_eq!(BrandColour::parse("#+1+2+3"), Err(BrandingError::ColourMalformed));
        let refused = BrandColour::parse("#ffff00").err();
        assert_eq!(
            refused.as_ref().and_then(BrandingError::ratio_text),
            Some("1.07".to_owned())
        );
        // #767676 is the classic 4.54:1 grey; #777777 fails at 4.47:1.
        assert!(BrandColour::parse("#767676").is_ok());
        assert_eq!(
            BrandColour::parse("#777777").err().and_then(|e| e.ratio_text()),
            Some("4.47".to_owned())
        );
        let black = BrandColour([0, 0, 0]).contrast_with_white();
        assert!((black - 21.0).abs() < 1e-9);
    }

    #[test]
    fn display_names_are_trimmed_bounded_and_plain() {
        assert_eq!(
            DisplayName::parse("  Acme Bank ")
                .ok()
                .flatten()
                .map(|n| n.as_str().to_owned()),
            Some("Acme Bank".to_owned())
        );
        assert_eq!(DisplayName::parse("   "), Ok(None));
        assert_eq!(
            DisplayName::parse("Acme\u{7}"),
            Err(BrandingError::NameControlCharacters)
        );
        assert_eq!(
            DisplayName::parse("Acme\nBank"),
            Err(BrandingError::NameControlCharacters)
        );
        assert_eq!(DisplayName::parse(&"é".repeat(81)), Err(BrandingError::NameTooLong));
        assert!(DisplayName::parse(&"é".repeat(80)).is_ok());
    }

    #[test]
    fn logos_are_reencoded_into_the_box_and_junk_is_refused() {
        let logo = Logo::from_upload(&png(1200, 100)).ok();
        let size = logo
            .as_ref()
            .and_then(|l| image::load_from_memory(l.png()).ok())
            .map(|i| (i.width(), i.height()));
        assert_eq!(size, Some((600, 50)));
        assert_eq!(Logo::from_upload(&[]), Err(BrandingError::LogoEmpty));
        assert_eq!(
            Logo::from_upload(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Err(BrandingError::LogoSvg)
        );
        assert_eq!(Logo::from_upload(b"GIF89a...."), Err(BrandingError::LogoUnsupported));
        let whole = png(40, 40);
        assert_eq!(
            Logo::from_upload(&whole[..whole.len() / 2]),
            Err(BrandingError::LogoDamaged)
        );
        for error in BrandingError::ALL {
            assert!(error.message_id().starts_with("branding-error-"));
        }
    }
}
