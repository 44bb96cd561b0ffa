# profiles: filled by the profiles work.
