export const ping = 'SELECT 1';
