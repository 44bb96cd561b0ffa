-- The SMTP gateway chooses a profile by a word in the subject (`[legal]`): NULL
-- for none. At most one profile of an account has a tag, compared in any case
-- (the domain compares with Unicode case folding; this index is its backstop).
ALTER TABLE envelope_profiles ADD COLUMN subject_tag TEXT;
CREATE UNIQUE INDEX envelope_profiles_subject_tag ON envelope_profiles (account_id, lower(subject_tag))
    WHERE subject_tag IS NOT NULL;

-- An SMTP submission token may relay mail that carries no tag and no profile
-- header unchanged to the outgoing relay instead of sealing it (1), or seal it
-- with the default profile (0, as before).
ALTER TABLE account_tokens ADD COLUMN relay_untagged INTEGER NOT NULL DEFAULT 0;
