Feature: Attachments
  A partner uploads a user's documents to AR24 before sending them in a
  registered letter. Each upload gets its own id.

  Scenario: Uploading a document for a user
    Given the user Alice was created
    When we upload the file "mise-en-demeure.pdf" for Alice
    Then the call succeeds
    And the answer gives the id of the file "mise-en-demeure.pdf"
    And Alice's attachments include "mise-en-demeure.pdf"

  Scenario: Uploading without a file
    Given the user Alice was created
    When we upload for Alice without a file
    Then the call fails with "attachment_missing_file"

  @needs_second_partner
  Scenario: Another partner cannot upload for our user
    Given the user Alice was created
    When another partner uploads the file "contrat.pdf" for Alice
    Then the call fails with "user_unavailable"

  Scenario: An empty file is refused
    Given the user Alice was created
    When we upload the empty file "vide.pdf" for Alice
    Then the call fails with "attachment_too_big"

  Scenario: A user's attachments are listed by id, either way
    Given the user Alice was created
    And we uploaded the file "premier.pdf" for Alice
    And we uploaded the file "second.pdf" for Alice
    Then Alice's attachments, oldest first, are "premier.pdf" then "second.pdf"
    And Alice's attachments, newest first, are "second.pdf" then "premier.pdf"

  Scenario: A file of 256 MB is kept, one byte more is refused
    # 256 MB as 256 x 1 048 576 bytes; whether AR24 counts this way is an assumption.
    Given the user Alice was created
    When we upload the file "trop-lourd.pdf" of 268435457 bytes for Alice
    Then the call fails with "attachment_too_big"
    When we upload the file "juste.pdf" of 268435456 bytes for Alice
    Then the call succeeds
