DROP INDEX `client_results_by_time`;--> statement-breakpoint
ALTER TABLE `client_results` ADD `log_index` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `client_results_by_index` ON `client_results` (`log_index`);