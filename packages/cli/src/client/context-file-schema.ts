import { z } from 'zod';

/** How a client reaches one cluster: what `modfleet login` saves and `--context` selects. */
const savedContextSchema = z.object({
  url: z.string(),
  user: z.string(),
  password: z.string().optional(),
  cacert: z.string().optional(),
  insecure: z.boolean().optional(),
});
export type SavedContext = z.infer<typeof savedContextSchema>;

export const contextFileSchema = z.object({
  current: z.string().optional(),
  contexts: z.record(z.string(), savedContextSchema),
});
export type ContextFile = z.infer<typeof contextFileSchema>;
