# accounts: filled by the accounts work.
