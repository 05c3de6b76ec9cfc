Feature: Payment methods
  Paid actions need a payment method. A partner asks a user to add one, by an
  email from AR24 or by a link it hands over itself ("get_link").

  @needs_no_global_billing
  Scenario: A new user cannot pay
    When we create the user Alice
    Then Alice cannot pay
    And Alice has no payment method of their own

  Scenario: Asking a user to add a payment method by email
    Given the user Alice was created
    When we ask Alice to add a payment method
    Then the call succeeds

  Scenario: Asking for a link instead of an email
    Given the user Alice was created
    When we ask for a link for Alice to add a payment method
    Then the call succeeds
    And the answer contains a link

  @mock_only
  Scenario: Asking for a link sends no email; asking by email sends one
    Given the user Alice was created
    When we ask for a link for Alice to add a payment method
    Then the call succeeds
    And Alice has received 0 emails
    When we ask Alice to add a payment method
    Then the call succeeds
    And Alice has received 1 email

  @out_of_band
  Scenario: The user adds a payment method from the email
    Given the user Alice was created
    When we ask Alice to add a payment method
    And Alice adds a payment method from the email
    Then Alice has a payment method of their own
    And Alice can pay

  @out_of_band
  Scenario: The user adds a payment method through the link we handed over
    Given the user Alice was created
    When we ask for a link for Alice to add a payment method
    And Alice adds a payment method through the link we handed over
    Then Alice has a payment method of their own

  @out_of_band
  Scenario: A user who has a payment method is not asked again
    Given the user Alice was created
    And Alice has added a payment method
    When we ask Alice to add a payment method
    Then the call fails with "payment_already_active"

  Scenario: Asking an id no account has
    When we ask the user with id "999999999" to add a payment method
    Then the call fails with "user_not_exist"

  Scenario: Asking without saying whom
    When we ask the user with id "" to add a payment method
    Then the call fails with "missing_user_id"
