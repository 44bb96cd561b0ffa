-- Work that one node at a time does (housekeeping: shredding expired keys, purging
-- sessions and abandoned uploads): the node holding a row's lease until `until`
-- does it; another takes over once the lease has run out (the holder died).
CREATE TABLE leases (
    name   TEXT   PRIMARY KEY,
    holder TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
