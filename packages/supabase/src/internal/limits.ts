/** Supabase's Free-plan broadcast payload limit (256 KB) minus 1 KB for the envelope. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 - 1024;
