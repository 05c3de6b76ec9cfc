Feature: Global billing
  AR24 can bill the partner for everything its users do through the API, so
  that its users need no payment method of their own.

  @needs_global_billing
  Scenario: With global billing, a new user can pay without a payment method
    Given AR24 bills us for our users' usage
    When we create the user Alice
    Then Alice can pay
    And Alice has no payment method of their own

  @needs_no_global_billing
  Scenario: Without global billing, a new user cannot pay
    When we create the user Alice
    Then Alice cannot pay
