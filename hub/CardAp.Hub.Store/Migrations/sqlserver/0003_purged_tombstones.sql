-- Retention purges old tombstones; purged_seq is the highest change sequence purged, so sync
-- knows an edge that last saw an older sequence may have missed a delete and needs a full snapshot.
ALTER TABLE municipality_sequences ADD purged_seq bigint NOT NULL DEFAULT 0;
