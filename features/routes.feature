Feature: Routes and methods
  AR24 answers every error with its JSON envelope. What it answers for a route
  it does not have, or a method a route does not take, is not published: the
  mock assumes HTTP 404 and 405 with the envelope, and a sandbox run says
  whether AR24 agrees.

  Scenario: A route AR24 does not have
    When we call "user/no_such_route" with a correct signature
    Then the call is refused with HTTP 404 and "unknown_route"

  Scenario Outline: A method the route does not take
    When we call "<route>" with the method <method>
    Then the call is refused with HTTP 405 and "method_not_allowed"

    Examples:
      | route             | method |
      | user/list         | DELETE |
      | user              | PUT    |
      | user/request_cgu  | GET    |
