Feature: Sending registered letters
  A user sends a registered electronic letter once their address is
  confirmed, they have accepted AR24's terms, and someone pays: their own
  payment method, their team administrator's, or the partner's global billing.
  AR24 notifies the recipient, who then accepts, refuses or neglects it.

  Scenario: A user whose address is not confirmed cannot send
    Given the user Alice was created
    When Alice sends a registered letter to Bob
    Then the call fails with "user_account_not_confirmed"

  @needs_no_cgu_preaccepted
  Scenario: A user who has not accepted the CGU cannot send
    Given the user Alice was created with a confirmed address
    When Alice sends a registered letter to Bob
    Then the call fails with "user_eula_not_accepted"

  @needs_cgu_preaccepted @needs_no_global_billing
  Scenario: A user who cannot pay cannot send
    Given AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    Then the call fails with "user_no_payment"

  @needs_cgu_preaccepted @needs_global_billing
  Scenario: A user we pay for sends a letter with an attachment
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And we uploaded the file "mise-en-demeure.pdf" for Alice
    When Alice sends a registered letter to Bob with the attachment "mise-en-demeure.pdf"
    Then the call succeeds
    And the answer is a registered letter from Alice to Bob
    And the letter is "waiting"
    And the letter carries the attachment "mise-en-demeure.pdf"
    When we read the letter
    Then the answer is a registered letter from Alice to Bob
    And Alice's letters include it
    And the letter's attachments include "mise-en-demeure.pdf"
    And the letter's attachment "mise-en-demeure.pdf" downloads as it was uploaded, under its name

  @needs_cgu_preaccepted @needs_global_billing
  Scenario: A letter gives each attachment's size in bytes and as people read it
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And we uploaded the file "annexe.pdf" of 1234567 bytes for Alice
    When Alice sends a registered letter to Bob with the attachment "annexe.pdf"
    Then the call succeeds
    And the letter gives the size of "annexe.pdf" in bytes and as people read it

  @needs_cgu_preaccepted @needs_global_billing
  Scenario: A letter's fingerprint covers its content and its attachments
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And we uploaded the file "facture.pdf" for Alice
    When Alice sends a registered letter to Bob with the attachment "facture.pdf"
    Then the call succeeds
    And the letter's fingerprint is the SHA-256 of its content followed by its attachments

  @out_of_band
  Scenario: A user who accepted the CGU and added a payment method sends a letter
    Given the user Alice was created with a confirmed address
    And we ask AR24 to send Alice the CGU
    And Alice accepts the CGU sent by email
    And Alice has added a payment method
    When Alice sends a registered letter to Bob
    Then the call succeeds
    And the answer is a registered letter from Alice to Bob

  @needs_cgu_preaccepted @needs_global_billing
  Scenario Outline: A letter the recipient or content rules refuse
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob with "<field>" set to "<value>"
    Then the call fails with "<slug>"

    Examples:
      | field         | value                           | slug                           |
      | to_email      |                                 | missing_email                  |
      | to_email      | bob-at-nowhere                  | invalid_recipient              |
      | content       | <script>alert(1)</script>       | forbidden_html                 |
      | content       |                                 | error_no_content_no_attachment |
      | attachment[0] | 999999999                       | attachment_not_exists          |

  @needs_cgu_preaccepted @needs_global_billing
  Scenario: A user cannot send a letter to themselves
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to their own address
    Then the call fails with "same_sender_recipients_emails"

  @needs_cgu_preaccepted @needs_global_billing
  Scenario: An eIDAS letter needs the sender to authenticate
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends an eIDAS letter to Bob without authenticating
    Then the call fails with "authentication_missing"

  @mock_only
  Scenario: The recipient is notified by email
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    Then the call succeeds
    And Bob has received 1 email

  @mock_only
  Scenario: A sender whose identity is verified still authenticates each eIDAS letter
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And Alice's identity was verified
    When Alice sends an eIDAS letter to Bob without authenticating
    Then the call fails with "authentication_missing"

  @mock_only
  Scenario: An identity check is paid by the user checked, not by another user
    Given AR24 bills us for our users' usage
    And the user Alice was created with a confirmed address
    And the user Carol was created with a confirmed address
    When we order Alice's identity check, paid by Carol
    Then the call fails with "user_unavailable"
    When we order Alice's identity check, paid by Alice
    Then the call succeeds

  @mock_only
  Scenario: An eIDAS letter authenticated with a one-time code
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And Alice's identity was verified
    When Alice sends an eIDAS letter to Bob with the code of the moment
    Then the call succeeds
    And the letter is an eIDAS letter

  @mock_only
  Scenario: A one-time code is the sender's authenticator's, and works once
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And Alice's identity was verified
    When Alice sends an eIDAS letter to Bob with a code their authenticator does not show
    Then the call fails with "authentication_otp_invalid"
    When Alice sends an eIDAS letter to Bob with the code their authenticator shows
    Then the call succeeds
    And the letter is an eIDAS letter
    When Alice sends an eIDAS letter to Carol with that same code
    Then the call fails with "authentication_otp_invalid"

  @mock_only
  Scenario: One code authenticates a sender's eIDAS letters for an hour
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And Alice's identity was verified
    When Alice authenticates for an hour with the code of the moment
    And Alice sends an eIDAS letter to Bob with that authentication
    Then the call succeeds
    And the letter is an eIDAS letter
    When Alice sends an eIDAS letter to Carol with that authentication
    Then the call succeeds
    When Alice sends an eIDAS letter to Bob with the authentication "0000000000000000000000000000000000000000"
    Then the call fails with "authentication_otp_hash_invalid"

  Scenario: Reading a letter without saying which
    When we read the letter with id ""
    Then the call fails with "missing_erm_id"

  @needs_second_partner @needs_cgu_preaccepted @needs_global_billing
  Scenario: Another partner cannot read our letter
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    And another partner reads the letter
    Then the call fails with "user_unavailable"

  # Who pays, in AR24's order: the sender's own payment method, then their
  # team administrator's, then the partner with global billing. Only the mock
  # shows who was charged.
  @mock_only @needs_cgu_preaccepted @needs_global_billing
  Scenario: With global billing, we pay for a sender who has no payment method
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    Then the call succeeds
    And the letter is paid by us

  @mock_only @needs_cgu_preaccepted @needs_global_billing
  Scenario: A sender's own payment method comes before our global billing
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And Alice has added a payment method
    When Alice sends a registered letter to Bob
    Then the call succeeds
    And the letter is paid by Alice

  @mock_only @needs_cgu_preaccepted @needs_global_billing
  Scenario: A team administrator's payment method comes before our global billing
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And the user Carol was created ready to send, with the CGU pre-accepted
    And Carol has added a payment method
    And we invite Alice into Carol's team
    And Alice accepts the team invitation sent by email
    When Alice sends a registered letter to Bob
    Then the call succeeds
    And the letter is paid by Carol

  @mock_only @needs_cgu_preaccepted @needs_global_billing
  Scenario: A sender's own payment method comes before their team administrator's
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And Alice has added a payment method
    And the user Carol was created ready to send, with the CGU pre-accepted
    And Carol has added a payment method
    And we invite Alice into Carol's team
    And Alice accepts the team invitation sent by email
    When Alice sends a registered letter to Bob
    Then the call succeeds
    And the letter is paid by Alice

  @needs_cgu_preaccepted @needs_global_billing
  Scenario: A user's letters are listed by id, either way
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    And Alice sends a registered letter to Carol
    Then Alice's letters, oldest first, come in the order they were sent
    And Alice's letters, newest first, come in the reverse order they were sent
    And Alice's letters asked for by id come oldest first
    And Alice's letters asked for by id come newest first

  @needs_cgu_preaccepted @needs_global_billing
  Scenario: A letter's attachments may weigh 256 MB together, not a byte more
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And we uploaded the file "moitie-1.pdf" of 134217728 bytes for Alice
    And we uploaded the file "moitie-2.pdf" of 134217728 bytes for Alice
    And we uploaded the file "octet.pdf" for Alice
    When Alice sends a registered letter to Bob with the attachments "moitie-1.pdf, moitie-2.pdf, octet.pdf"
    Then the call fails with "attachment_too_big"
    When Alice sends a registered letter to Bob with the attachments "moitie-1.pdf, moitie-2.pdf"
    Then the call succeeds

  @mock_only @serial
  Scenario: The mock's state saved and loaded again keeps each user's letters
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    Then the letter reaches "ev"
    When the mock's state is saved and loaded again
    Then Alice's letters include it
    And the mock lists the letter among Alice's

  @mock_only @needs_cgu_preaccepted @needs_global_billing
  Scenario: Resetting a partner on the mock forgets its letters and charges, and no other partner's
    # What a partner's test suite does between tests: POST /_mock/reset/{token}.
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    And we uploaded the file "facture.pdf" for Alice
    And another partner's user Carol has sent a registered letter to Bob with the attachment "contrat.pdf"
    When Alice sends a registered letter to Bob with the attachment "facture.pdf"
    Then the call succeeds
    When the mock forgets everything of ours
    Then the mock holds no letter or charge of ours
    And the other partner's letter, its attachment and its charge are still there

  @mock_only @needs_cgu_preaccepted @needs_global_billing
  Scenario: A user two partners share: each partner's letters, uploads and charges stay its own
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And another partner's user Carol has sent a registered letter to Bob with the attachment "contrat.pdf"
    When we ask Carol for access to their account
    And Carol accepts the access request sent by email
    And we upload the file "facture.pdf" for Carol
    And Carol sends a registered letter to Bob with the attachment "facture.pdf"
    Then the call succeeds
    And the mock gives each partner only its own charges for Carol
    And each partner's upload for Carol names its partner without giving its token
    When the mock forgets everything of ours
    Then the mock holds no letter or charge of ours
    And the other partner's letter, its attachment and its charge are still there

  @mock_only @serial @needs_cgu_preaccepted @needs_global_billing
  Scenario: A letter id is never given twice, whatever the mock forgot or loaded
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    And another partner's user Carol sends a registered letter to Bob with the attachment "contrat.pdf"
    And the mock forgets everything of the other partner's
    And the mock's state is saved and loaded again
    And Alice sends a registered letter to Bob
    Then the letter's id was never given before
    When the mock's state is loaded again from a document without its mail counters
    And Alice sends a registered letter to Bob
    Then the letter's id was never given before

  @mock_only @serial @needs_cgu_preaccepted @needs_global_billing
  Scenario: Resetting the whole mock forgets every letter
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When Alice sends a registered letter to Bob
    And the whole mock is reset
    Then the mock holds no letter at all

  @mock_only @serial @needs_cgu_preaccepted @needs_global_billing
  Scenario: A sender loaded from a state document without a first name cannot send
    # AR24 refuses a sender whose first name or last name is empty; only a
    # state document can give the mock such an account.
    Given AR24 bills us for our users' usage
    And AR24 lets us create users with the CGU pre-accepted
    And the user Alice was created ready to send, with the CGU pre-accepted
    When the mock's state is loaded again with Alice's first name empty
    And Alice sends a registered letter to Bob
    Then the call fails with "user_name_empty"
