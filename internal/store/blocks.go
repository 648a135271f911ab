package store

// Lookups keyed by block.
//
// Every observation adds an entry to two lookups: its session's
// observations and its patient's audit entries; every alert, to its
// session's alerts. Keyed by session or patient first, the entries of a
// thousand live sessions land in a thousand leaves scattered through the
// file, and every commit and every checkpoint writes each of them back whole
// for the few bytes it gained; under load the single writer spends its time
// waiting for that disk flush. So those indexes are keyed by the row's block
// of ids first (migrations 0014 and 0015: id_block is id >> 12, seq_block is
// seq >> 12, 4,096 rows a block): the new entries of every session fall in
// the few leaves of the current block. A lookup visits the blocks in turn,
// one index search each (a clinic's whole history is a few hundred blocks).

// withBlocks is a WITH clause naming block(n): the block numbers 0 to that
// of the highest id in table, for a query to join the block-keyed index on
// ("FROM block CROSS JOIN table WHERE table.id_block = block.n AND …").
func withBlocks(table, id string) string {
	return "WITH RECURSIVE block(n) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT n + 1 FROM block WHERE n < (SELECT COALESCE(MAX(" +
		id + "), 0) >> 12 FROM " + table + ")) "
}
