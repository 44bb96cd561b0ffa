# The self page (/me): every signed-in user's own names, language, time zone and password.
me-title = My settings
me-link = My settings
me-intro = You are signed in as { $email }.
me-security = Security
me-language = Language
me-time-zone = Time zone
me-time-zone-common = Common time zones
me-time-zone-hint = Dates and times are shown in this time zone, for example now: { $now }.
me-password-legend = Change password
me-password-hint = Leave these fields empty to keep your password.
flash-me-saved = Your settings were saved.
flash-me-saved-password = Your settings and your new password were saved.
error-unknown-time-zone = This time zone is not known. Choose one from the list.
