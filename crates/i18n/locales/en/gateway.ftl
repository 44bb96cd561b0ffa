# gateway: the SMTP gateway's words on the admin pages (the profile form's subject tag, audit lines).
profile-subject-tag = Subject tag (SMTP gateway)
profile-subject-tag-hint = Optional. Mail handed to the SMTP gateway whose subject holds this word, in any case, for example [legal], is sealed with this profile; the word is removed from the subject. 2 to 40 characters, one profile per tag. The header X-Sealpost-Profile with the profile's name chooses it too.
error-subject-tag-invalid = Write the subject tag as 2 to 40 characters without line breaks, for example [legal].
error-subject-tag-taken = Another profile of this account already has this subject tag.
audit-action-gateway-submission = Message submitted through the SMTP gateway
audit-action-gateway-relayed = Untagged message relayed unchanged by the SMTP gateway
audit-action-gateway-auth = SMTP gateway login
audit-action-user-created-by-gateway = User created by the SMTP gateway (allowed sender domain)
