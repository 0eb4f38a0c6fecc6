CREATE TABLE `unread_counts` (
	`username` text PRIMARY KEY NOT NULL,
	`unread` integer NOT NULL
);
--> statement-breakpoint
-- Written by hand: the counts of the messages already stored, as the apply loop would have kept them.
INSERT INTO `unread_counts` (`username`, `unread`) SELECT `recipient`, COUNT(*) FROM `messages` WHERE `read` = 0 GROUP BY `recipient`;
