ALTER TABLE `sessions` ADD `last_used_at_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `idle_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Written by hand: an existing session reads as the apply loop makes one from a Login entry written before sessions expired (last used at its login, idle time 0), so a replica that applies such an entry after the upgrade holds the same row as one that applied it before.
UPDATE `sessions` SET `last_used_at_ms` = `created_at_ms`;
