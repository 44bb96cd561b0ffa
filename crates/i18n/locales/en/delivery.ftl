# Delivery of notifications, as the sender's tracking page and the account's
# Messages tab show it.

# A recipient's notification could not be delivered; $reason is the mail server's
# reply exactly as it wrote it (for example "550 5.1.1 … no such user").
tracking-delivery-failed = Delivery failed: { $reason }
# The same, short, in the list of an account's messages.
tracking-delivery-failed-short = delivery failed
