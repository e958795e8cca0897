/** Each processor's position in the log, moved in the transaction that did the work. */
export const readCheckpoint = 'SELECT position FROM checkpoints WHERE processor = $1';
export const storeCheckpoint = `INSERT INTO checkpoints (processor, position) VALUES ($1, $2)
  ON CONFLICT (processor) DO UPDATE SET position = excluded.position`;
export const readCheckpoints = 'SELECT processor, position FROM checkpoints';
