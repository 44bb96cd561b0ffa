## Composing, opening and managing secure messages

messages-placeholder = -
